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
                Lines are stored in durable batches (--batch-size); a batch that cannot be stored (the disk \
                is full, --max-size is reached, an I/O error) stops the ingest: the summary says how far it \
                got, every line before that batch is stored, and running the same file again once the fault \
                is fixed appends the rest (stored lines come back as duplicates). \
                Exit status 1 when any line was rejected or the ingest stopped. \
                With --commits, each durable batch is followed on stderr by `committed through line N`: every \
                line up to N is stored or was reported refused, so a feeder that is killed resumes at line N+1.
                """)

        @Argument(help: "The JSON-lines file, or - for stdin.")
        var file: String

        @Option(name: .customLong("batch-size"), help: "Lines per durable transaction.")
        var batchSize: Int = 1_000

        @Flag(help: "After each durable batch, write `committed through line N` on stderr.")
        var commits = false

        @OptionGroup var data: DataOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard batchSize >= 1 && batchSize <= 100_000 else { throw ValidationError("--batch-size must be 1...100000") }
        }

        func run() async throws {
            let bytes = try readInput(file)
            let store = try data.openStore()
            var summary = IngestSummary()
            var progress = Progress(label: "ingest", total: nil)
            var batch: [(line: Int, name: String, submission: Submission)] = []

            var settled = 0
            /// Stores the batch; `through` is the last line it settles (the
            /// blank lines after the batch's own come with it).
            func flush(through: Int) throws {
                try commit()
                // After the commit and its refusals (never after a failed one): what a feeder may take as settled.
                if commits && through > settled {
                    settled = through
                    FileHandle.standardError.write(Data("committed through line \(through)\n".utf8))
                }
            }

            func commit() throws {
                guard !batch.isEmpty else { return }
                let outcomes: [AppendOutcome]
                do {
                    outcomes = try store.append(batch.map(\.submission), catchingUp: false)
                } catch {
                    progress.finish()
                    summary.stoppedAtLine = batch[0].line
                    summary.print(json: output.json)
                    throw CommandFailure(
                        "line \(batch[0].line): \(error); the lines before it are stored, it and the ones after are not: "
                            + "ingest the file again once this is fixed")
                }
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
                    let submission = try WorkerProtocol.decodeLine(line, name: &name, salt: store.eventIdSalt)
                    batch.append((lineNumber, name ?? "?", submission))
                } catch {
                    // Report in line order: what came before this line goes first.
                    try flush(through: lineNumber - 1)
                    summary.reject(line: lineNumber, event: name ?? "(unparsed)", error)
                }
                if batch.count >= batchSize { try flush(through: lineNumber) }
            }
            try flush(through: lineNumber)
            progress.finish()
            do {
                try await store.catchUpProjections()
            } catch {
                // The store said why on stderr; the events are in the log, which is the truth.
                summary.print(json: output.json)
                throw CommandFailure(
                    "the lines above are stored, but the projections could not catch up with them; "
                        + "they do the next time the folder is opened (or run `cairn rebuild`)")
            }

            summary.print(json: output.json)
            if summary.rejected > 0 { throw ExitCode(1) }
        }
    }
}

struct IngestSummary {
    var appended = 0
    var duplicates = 0
    var rejected = 0
    /// The first line not stored, when a batch could not be committed.
    var stoppedAtLine: Int?

    func print(json: Bool) {
        if json {
            var members: [(key: String, value: JSONValue)] = [
                ("appended", .number(appended)), ("duplicates", .number(duplicates)), ("rejected", .number(rejected)),
            ]
            if let stoppedAtLine { members.append(("stopped_at_line", .number(stoppedAtLine))) }
            printJSONValue(.object(members))
        } else {
            Swift.print("appended \(appended), duplicates \(duplicates), rejected \(rejected)"
                + (stoppedAtLine.map { "; stopped at line \($0)" } ?? ""))
        }
    }

    mutating func reject(line: Int, event: String, _ error: EventLogError) {
        rejected += 1
        FileHandle.standardError.write(Data("line \(line): \(event): \(error.field): \(error.message)\n".utf8))
    }
}
