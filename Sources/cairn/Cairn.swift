import ArgumentParser
import CairnKit
import LMDB
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

    @Option(
        name: .customLong("max-size"),
        help: "The most the data folder's map may grow to, e.g. 512M, 20G (default: $CAIRN_MAX_SIZE, else no ceiling but the disk). Past it, writes fail with 'store full' and nothing is lost.")
    var maxSize: String?

    var path: String {
        data ?? ProcessInfo.processInfo.environment["CAIRN_DATA"] ?? "./cairn-data"
    }

    /// A bad `--max-size` is a usage error at once; a bad `CAIRN_MAX_SIZE`
    /// only when a folder is opened (`ceiling()`, also status 2), so the
    /// commands that open none (`cron next`, `ydoc merge`) ignore it.
    func validate() throws {
        if maxSize != nil { _ = try ceiling() }
    }

    /// `--max-size` (or `CAIRN_MAX_SIZE`) in bytes; `nil` when neither is given.
    func ceiling() throws -> Int? {
        guard let text = maxSize ?? ProcessInfo.processInfo.environment["CAIRN_MAX_SIZE"] else { return nil }
        guard let bytes = ByteSize.parse(text), bytes >= 1 << 20 else {
            throw ValidationError("--max-size: '\(text)' is not a size of at least 1M (a number with K, M, G or T, e.g. 512M)")
        }
        return bytes
    }

    /// Opens the data folder with the ceiling asked for.
    func openStore(notice: (String) -> Void = Store.standardErrorNotice) throws -> Store {
        try Store(path: path, options: Environment.Options(maxMapSize: try ceiling()), notice: notice)
    }
}

/// Sizes as people write them: `1048576`, `64K`, `512M`, `20G`, `1T` (powers of 1,024; `B` and `iB` allowed).
enum ByteSize {
    static func parse(_ text: String) -> Int? {
        var digits = Substring(text.trimmingCharacters(in: .whitespaces).uppercased())
        for suffix in ["IB", "B"] where digits.hasSuffix(suffix) { digits = digits.dropLast(suffix.count); break }
        var shift = 0
        if let unit = digits.last, let index = "KMGT".firstIndex(of: unit) {
            shift = 10 * ("KMGT".distance(from: "KMGT".startIndex, to: index) + 1)
            digits = digits.dropLast()
        }
        guard let number = Int(digits), number >= 0, number <= Int.max >> shift else { return nil }
        return number << shift
    }
}

/// Options of commands that print a query's result.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print one JSON document instead of a table.")
    var json = false
}
