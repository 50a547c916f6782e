import ArgumentParser
import CairnKit
import EventLog
import Foundation
import JSON
import Projections
import Scheduler

extension Cairn {
    struct Schedule: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the cron scheduler by hand.", subcommands: [Tick.self, Upcoming.self])
    }
}

extension Cairn.Schedule {
    struct Tick: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start the cron runs of one minute; prints the runs created.",
            discussion: """
                Each due trigger gets one run whose input is its cursor (see `cairn cursor`). Ticking the same \
                minute again creates nothing: run ids derive from (trigger, minute).
                """)

        @Option(help: "The minute to run (ISO-8601 or microseconds; seconds are ignored). Default: now.")
        var at: String?

        @Option(name: .customLong("catch-up"), help: "After downtime, run each trigger's most recent missed fire if it is at most this many minutes old.")
        var catchUpMinutes: Int = 0

        @OptionGroup var data: DataOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            // As `serve --catch-up`: beyond a year, the window in seconds could overflow.
            guard (0...525_600).contains(catchUpMinutes) else { throw ValidationError("--catch-up must be 0...525600 minutes (a year)") }
        }

        func run() async throws {
            let date: Date
            if let at {
                guard let parsed = parseTime(at) else {
                    throw CommandFailure("--at: '\(at)' is not an ISO-8601 time from year 1 to 9999", status: 2)
                }
                date = parsed
            } else {
                date = Date()
            }
            let store = try data.openStore()
            let scheduler = store.scheduler(catchUpWindow: TimeInterval(catchUpMinutes * 60))
            let tick = try scheduler.tick(at: date)
            for failure in tick.failures {
                FileHandle.standardError.write(Data("cairn: schedule: \(failure)\n".utf8))
            }
            if output.json {
                printJSONValue(.array(tick.created.map(Views.scheduledRun)))
            } else if tick.created.isEmpty {
                print("no runs created for \(tick.minute.iso8601)")
            } else {
                print(table(
                    header: ["run", "trigger", "input", "source"],
                    rows: tick.created.map { [$0.runId, $0.triggerId, $0.inputDataclipId, $0.source.rawValue] }))
            }
            if !tick.failures.isEmpty { throw ExitCode(1) }
        }
    }

    struct Upcoming: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The next fire time of every enabled cron trigger, with the input it would get now.")

        @Option(help: "How many to list.")
        var limit: Int = 20

        @Option(help: "List fire times after this time (default: now).")
        var from: String?

        @OptionGroup var data: DataOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard (0...100_000).contains(limit) else { throw ValidationError("--limit must be 0...100000") }
        }

        func run() async throws {
            let start = try from.map { text -> Date in
                guard let date = parseTime(text) else {
                    throw CommandFailure("--from: '\(text)' is not an ISO-8601 time from year 1 to 9999", status: 2)
                }
                return date
            } ?? Date()
            let store = try data.openStore()
            let upcoming = try store.scheduler().upcoming(after: start, limit: limit)
            if output.json {
                printJSONValue(.array(upcoming.map { run, at in
                    .object([
                        ("fires_at", .string(formatISO(at))), ("trigger_id", .string(run.triggerId)),
                        ("workflow_id", .string(run.workflowId)), ("source", .string(run.source.rawValue)),
                        ("input_dataclip_id", run.source == .empty ? .null : .string(run.inputDataclipId)),
                    ])
                }))
            } else {
                print(table(
                    header: ["fires at", "trigger", "workflow", "input"],
                    rows: upcoming.map { run, at in
                        [formatISO(at), run.triggerId, run.workflowId, run.source == .empty ? "empty" : "\(run.source.rawValue) \(run.inputDataclipId)"]
                    }))
            }
        }
    }
}
