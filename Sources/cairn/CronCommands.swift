public import ArgumentParser
import Cron
import Foundation

extension Cairn {
    struct CronCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cron",
            abstract: "Evaluate cron expressions.",
            subcommands: [Next.self]
        )
    }
}

extension Cairn.CronCommand {
    struct Next: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the next (or, with --prev, previous) fire times of an expression, in UTC.",
            discussion: """
                Fields match wall-clock time in --tz (default UTC). A local time skipped by a DST jump \
                fires at the end of the gap; a repeated one fires at its first occurrence.
                """
        )

        @Argument(help: "A 5-field cron expression or macro, e.g. '*/15 9-17 * * MON-FRI' or @daily.")
        var expression: String

        @Option(help: "Start from this time (ISO-8601, or microseconds since the epoch). Default: now.")
        var from: String?

        @Option(help: "How many fire times to print.")
        var count: Int = 5

        @Option(help: "IANA time zone the fields are read in.")
        var tz: String = "UTC"

        @Option(name: .customLong("day-match"), help: "When both day fields are restricted: any (OR, default) or all (AND).")
        var dayMatch: DayMatch = .any

        @Flag(help: "Print earlier fire times, latest first, instead of later ones.")
        var prev = false

        @OptionGroup var output: OutputOptions
        /// Every command takes `--data` (docs/cli.md), so a script may pass it
        /// to all; this one reads no folder.
        @OptionGroup var data: DataOptions

        func validate() throws {
            guard count >= 1 && count <= 1_000_000 else { throw ValidationError("--count must be between 1 and 1000000") }
        }

        func run() async throws {
            let start: Date
            if let from {
                guard let parsed = parseTime(from) else {
                    throw CommandFailure(
                        "--from: '\(from)' is not an ISO-8601 time or microseconds since the epoch, from year 1 to 9999", status: 2)
                }
                start = parsed
            } else {
                start = Date()
            }
            let schedule: CronSchedule
            do {
                schedule = try CronSchedule(expression, timeZone: tz, dayMatch: dayMatch)
            } catch {
                throw CommandFailure("invalid cron expression '\(expression)': \(error)")
            }
            guard schedule.canFire else {
                throw CommandFailure(CronError.neverFires(expression: expression).description)
            }
            let times = prev ? schedule.previous(count, before: start) : schedule.next(count, after: start)
            let formatted = times.map(formatISO)
            if output.json {
                try printJSON(formatted)
            } else {
                formatted.forEach { print($0) }
            }
        }
    }
}

extension DayMatch: ExpressibleByArgument {}
