import ArgumentParser
import CairnKit
import EventLog
import Foundation
import JSON

extension Cairn {
    struct Ingest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Append worker events from a JSON-lines file (one event a line; - for stdin).",
            discussion: """
                Each line is {"event": "run:start", "id": "<uuid, optional>", "payload": {...}}. \
                Rejected lines are reported on stderr as `line N: <event>: <field>: <message>` and never \
                stop the lines after them; nothing of a rejected line is written. A line without an id \
                gets one derived from its content, so ingesting a file twice appends nothing new. \
                Exit status 1 when any line was rejected.
                """)

        @Argument(help: "The JSON-lines file, or - for stdin.")
        var file: String

        @Option(name: .customLong("batch-size"), help: "Lines per durable transaction.")
        var batchSize: Int = 1_000

        @OptionGroup var data: DataOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard batchSize >= 1 && batchSize <= 100_000 else { throw ValidationError("--batch-size must be 1...100000") }
        }

        func run() async throws {
            let bytes = try readInput(file)
            let store = try Store(path: data.path)
            var summary = IngestSummary()
            var progress = Progress(label: "ingest", total: nil)
            var batch: [(line: Int, name: String, submission: Submission)] = []

            func flush() throws {
                guard !batch.isEmpty else { return }
                let outcomes = try store.append(batch.map(\.submission), catchingUp: false)
                for (entry, outcome) in zip(batch, outcomes) {
                    switch outcome {
                    case .appended, .unchanged: summary.appended += 1
                    case .duplicate: summary.duplicates += 1
                    case .rejected(let error): summary.reject(line: entry.line, event: entry.name, error)
                    }
                }
                progress.advance(by: batch.count)
                batch.removeAll(keepingCapacity: true)
            }

            var lineNumber = 0
            var start = bytes.startIndex
            while start < bytes.endIndex {
                let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.endIndex
                lineNumber += 1
                let line = bytes[start..<end]
                start = end < bytes.endIndex ? end + 1 : end
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
                var name: String?
                do {
                    let submission = try WorkerProtocol.decodeLine(line, name: &name)
                    batch.append((lineNumber, name ?? "?", submission))
                } catch {
                    // Report in line order: what came before this line goes first.
                    try flush()
                    summary.reject(line: lineNumber, event: name ?? "(unparsed)", error)
                }
                if batch.count >= batchSize { try flush() }
            }
            try flush()
            progress.finish()
            try await store.catchUpProjections()

            if output.json {
                printJSONValue(.object([
                    ("appended", .number(summary.appended)), ("duplicates", .number(summary.duplicates)),
                    ("rejected", .number(summary.rejected)),
                ]))
            } else {
                print("appended \(summary.appended), duplicates \(summary.duplicates), rejected \(summary.rejected)")
            }
            if summary.rejected > 0 { throw ExitCode(1) }
        }
    }
}

struct IngestSummary {
    var appended = 0
    var duplicates = 0
    var rejected = 0

    mutating func reject(line: Int, event: String, _ error: EventLogError) {
        rejected += 1
        FileHandle.standardError.write(Data("line \(line): \(event): \(error.field): \(error.message)\n".utf8))
    }
}
