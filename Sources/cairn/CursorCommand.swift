import ArgumentParser
import CairnKit
import EventLog
import Foundation
import JSON
import Projections

extension Cairn {
    struct Cursor: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The input a cron trigger's next run would get.",
            discussion: """
                With a cursor job: that job's latest successful, non-wiped output in the trigger's workflow \
                (source job_output). Without: the final dataclip of the trigger's latest successful run \
                (final_state). Otherwise a new empty dataclip (empty).
                """)

        @Argument(help: "The trigger id.")
        var trigger: String

        @OptionGroup var data: DataOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let store = try data.openStore()
            guard let view = try store.cursorView(trigger) else {
                throw CommandFailure("trigger \(trigger) is not in any published workflow")
            }
            if output.json {
                printJSONValue(view)
            } else {
                print("trigger   \(trigger)")
                print("source    \(view["source"]?.stringValue ?? "?")")
                print("dataclip  \(view["dataclip_id"]?.stringValue ?? "- (a new empty dataclip)")")
                print("body      \((view["body"] ?? .null).serializedString())")
            }
        }
    }

    struct Rebuild: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replay the log into fresh projections and switch to them atomically.",
            discussion: "With --verify, replay beside the live projections, compare every key and value, and exit 1 on any difference.")

        @Flag(help: "Compare a replay with the live projections instead of replacing them.")
        var verify = false

        @OptionGroup var data: DataOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let store = try data.openStore()
            let total = try store.lastSequence()
            var progress = Progress(label: verify ? "verify" : "rebuild", total: Int(total))
            var last: UInt64 = 0
            let report: (UInt64, UInt64) -> Void = { done, _ in
                guard done > last else { return }
                progress.advance(by: Int(done - last))
                last = done
            }
            let started = Date()
            if verify {
                let differences = try store.verifyProjections(progress: report)
                progress.finish()
                if output.json {
                    printJSONValue(.object([
                        ("events", .number(Int64(total))), ("identical", .bool(differences.isEmpty)),
                        ("differences", .array(differences.prefix(100).map { .string($0.description) })),
                    ]))
                } else {
                    print(differences.isEmpty ? "projections match a full replay of \(total) events" :
                        differences.prefix(20).map(\.description).joined(separator: "\n"))
                }
                if !differences.isEmpty { throw ExitCode(1) }
                return
            }
            try store.rebuildProjections(progress: report)
            progress.finish()
            let seconds = Date().timeIntervalSince(started)
            if output.json {
                printJSONValue(.object([("events", .number(Int64(total))), ("seconds", .number(seconds))]))
            } else {
                print("rebuilt projections from \(total) events in \(String(format: "%.2f", seconds)) s")
            }
        }
    }
}
