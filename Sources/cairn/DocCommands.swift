import ArgumentParser
import CairnKit
import Foundation
import JSON
import Workflows
import YDoc

extension Cairn {
    struct DocCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "doc", abstract: "Collaborative workflow documents (Yjs), stored in the data folder.",
            subcommands: [Apply.self, Export.self, Show.self, Materialize.self, Publish.self])
    }
}

extension Cairn.DocCommand {
    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply Yjs v1 update files to a workflow's document, in order; store them durably.",
            discussion: "A malformed file is reported (exit 1) and the others still apply.")

        @Argument(help: "The workflow id (the document's key).")
        var workflow: String

        @Argument(help: "Yjs v1 update files.")
        var files: [String]

        @OptionGroup var data: DataOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let updates = try files.map(readInput)
            let store = try data.openStore()
            let result = try store.applyDocumentUpdates(workflow, updates)
            for (index, reason) in result.rejected {
                FileHandle.standardError.write(Data("cairn: \(files[index]): \(reason)\n".utf8))
            }
            if output.json {
                printJSONValue(.object([
                    ("workflow_id", .string(workflow)), ("applied", .number(result.applied)),
                    ("rejected", .number(result.rejected.count)),
                ]))
            } else {
                print("applied \(result.applied), rejected \(result.rejected.count)")
            }
            if !result.rejected.isEmpty { throw ExitCode(1) }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write the document's full state as one Yjs v1 update.")

        @Argument(help: "The workflow id.")
        var workflow: String

        @Option(name: .shortAndLong, help: "Write to this file instead of stdout.")
        var output: String?

        @OptionGroup var data: DataOptions

        func run() async throws {
            let store = try data.storeWithDocument(workflow)
            let update = Data(try store.exportDocument(workflow))
            if let output {
                guard FileManager.default.createFile(atPath: output, contents: update) else {
                    throw CommandFailure("cannot write \(output)")
                }
            } else {
                FileHandle.standardOutput.write(update)
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The document's roots as JSON, as a Yjs client prints them.")

        @Argument(help: "The workflow id.")
        var workflow: String

        @OptionGroup var data: DataOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let store = try data.storeWithDocument(workflow)
            printJSONValue(YDocJSON.roots(try store.loadDocument(workflow), RootSpec.workflowLayout))
        }
    }

    struct Materialize: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The workflow the document describes, repaired, with the list of repairs.")

        @Argument(help: "The workflow id.")
        var workflow: String

        @OptionGroup var data: DataOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let store = try data.storeWithDocument(workflow)
            let (materialized, repairs) = try store.materializeDocument(workflow)
            guard case .object(var members) = WorkflowJSON.encode(materialized) else { return }
            members.append(("repairs", .array(repairs.map {
                .object([("path", .string($0.path)), ("message", .string($0.message))])
            })))
            printJSONValue(.object(members))
        }
    }

    struct Publish: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Publish the document as a snapshot (like `workflow publish`); problems go to its errors map.")

        @Argument(help: "The workflow id.")
        var workflow: String

        // Without it: the document's owner (latest snapshot's project, else
        // the recorded one), never its editable content's project_id over them.
        @Option(help: "The project, for a document nobody owns yet (never published, no owner recorded).")
        var project: String?

        @OptionGroup var data: DataOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let store = try data.storeWithDocument(workflow)
            do {
                printJSONValue(Views.publish(try store.publishDocument(workflow, projectId: project)))
            } catch let error as PublishError {
                if case .invalid(let errors) = error { throw CommandFailure(describe(errors, file: "document \(workflow)")) }
                throw CommandFailure("document \(workflow): \(error)")
            }
        }
    }
}

extension DataOptions {
    /// The store, once it is known to hold a document for `workflow`.
    func storeWithDocument(_ workflow: String) throws -> Store {
        let store = try openStore()
        guard try store.documentExists(workflow) else { throw CommandFailure("no document for workflow \(workflow)") }
        return store
    }
}
