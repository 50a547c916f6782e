import ArgumentParser
import Encoding
import Foundation
import JSON
import YDoc

extension Cairn {
    struct YDocCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ydoc", abstract: "The CRDT engine alone: Yjs v1 updates in, JSON and updates out.",
            subcommands: [Merge.self])
    }
}

/// A root to print: its name and the kind a Yjs client would read it as.
struct RootSpec: ExpressibleByArgument {
    enum Kind: String { case map, array, text }
    let name: String
    let kind: Kind

    init?(argument: String) {
        guard let colon = argument.lastIndex(of: ":"), let kind = Kind(rawValue: String(argument[argument.index(after: colon)...])),
            colon > argument.startIndex
        else { return nil }
        name = String(argument[..<colon])
        self.kind = kind
    }

    init(_ name: String, _ kind: Kind) {
        self.name = name
        self.kind = kind
    }

    /// docs/documents.md: the workflow document's roots.
    static let workflowLayout: [RootSpec] = [
        RootSpec("workflow", .map), RootSpec("jobs", .array), RootSpec("edges", .array),
        RootSpec("triggers", .array), RootSpec("positions", .map), RootSpec("errors", .map),
    ]
}

extension Cairn.YDocCommand {
    struct Merge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply Yjs v1 update files, in order, to an empty document; print its roots as JSON.",
            discussion: """
                Roots default to the workflow layout (workflow, jobs, edges, triggers, positions, errors); \
                name others with --root NAME:map|array|text. A malformed file exits 1 naming the file.
                """)

        @Argument(help: "Yjs v1 update files, applied in the order given.")
        var files: [String]

        @Option(name: .customLong("root"), help: "A root to print, as NAME:map, NAME:array or NAME:text (repeatable).")
        var roots: [RootSpec] = []

        @Option(name: .customLong("export"), help: "Write the merged state as one v1 update to this file.")
        var export: String?

        @Flag(help: "Print JSON (the default; kept for symmetry with other commands).")
        var json = false

        /// Every command takes `--data` (docs/cli.md), so a script may pass it
        /// to all; this one reads no folder.
        @OptionGroup var data: DataOptions

        func run() async throws {
            let doc = Doc()
            for file in files {
                let bytes = try readInput(file)
                do {
                    try doc.applyUpdate(bytes)
                } catch {
                    throw CommandFailure("\(file): \(error)")
                }
            }
            let specs = roots.isEmpty ? RootSpec.workflowLayout : roots
            printJSONValue(YDocJSON.roots(doc, specs))
            if let export {
                let update = try doc.encodeStateAsUpdate(includingPending: true)
                guard FileManager.default.createFile(atPath: export, contents: Data(update)) else {
                    throw CommandFailure("cannot write \(export)")
                }
            }
        }
    }
}

enum YDocJSON {
    static func roots(_ doc: Doc, _ specs: [RootSpec]) -> JSONValue {
        .object(specs.map { spec in
            let value: Lib0Any
            switch spec.kind {
            case .map: value = doc.map(spec.name).toJSON()
            case .array: value = doc.array(spec.name).toJSON()
            case .text: value = .string(doc.text(spec.name).string)
            }
            return (spec.name, json(value))
        })
    }

    static func json(_ value: Lib0Any) -> JSONValue {
        switch value {
        case .undefined, .null: return .null
        case .bool(let b): return .bool(b)
        case .number(let n): return .number(n)
        case .bigInt(let i): return .number(i)
        case .string(let s): return .string(s)
        case .bytes(let b): return .array(b.map { .number(Int($0)) })
        case .array(let items): return .array(items.map(json))
        case .object(let members): return .object(members.map { ($0.key, json($0.value)) })
        }
    }
}
