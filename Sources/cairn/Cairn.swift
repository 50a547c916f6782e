import ArgumentParser
import Foundation

/// The root command is configuration only; each subcommand lives in its own file.
struct Cairn: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "cairn",
        abstract: "An event-sourced engine for workflow runs.",
        discussion: """
            Every command works on one data folder (--data, or CAIRN_DATA, default ./cairn-data), \
            created on first use. Exit status: 0 success, 1 some input rejected, 2 usage error.
            """,
        version: version,
        subcommands: [
            Info.self, ProjectCommand.self, WorkflowCommand.self, Ingest.self, RunsCommand.self, DataclipsCommand.self,
            Cursor.self, Rebuild.self, Schedule.self, YDocCommand.self, DocCommand.self, Serve.self, Backup.self,
            CronCommand.self, TokenCommand.self, Audit.self, TriggerCommand.self,
        ]
    )
}

/// Options every subcommand that touches a data folder shares.
struct DataOptions: ParsableArguments {
    @Option(name: .long, help: "The data folder (default: $CAIRN_DATA or ./cairn-data).")
    var data: String?

    var path: String {
        data ?? ProcessInfo.processInfo.environment["CAIRN_DATA"] ?? "./cairn-data"
    }
}

/// Options of commands that print a query's result.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print one JSON document instead of a table.")
    var json = false
}
