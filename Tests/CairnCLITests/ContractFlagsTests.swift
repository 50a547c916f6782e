import Foundation
import TestSupport
import Testing

/// Session 23's read of the CLI against its contract (docs/cli.md): every
/// command takes `--data`, `workflow publish` takes `--json` as `doc
/// publish` does, and a bad option value is a usage error (status 2), as a
/// bad option is. A script that passes `--data` to every call got status 2
/// ("unknown option") from `cron next` and `ydoc merge`.
@Suite struct ContractFlagsTests {
    let workflowFile = Fixtures.url("workflows/daily-report.json").path

    @Test func everyCommandTakesData() throws {
        let folder = TemporaryFolder()
        let data = ["--data", folder.path]
        let next = try CLI.run(["cron", "next", "0 6 * * *", "--from", "2026-01-01T00:00:00Z", "--count", "1", "--json"] + data)
        #expect(next.status == 0, "\(next.stderr)")
        #expect(try next.json() as? [String] == ["2026-01-01T06:00:00Z"])
        // A folder's ceiling from the environment is checked where a folder
        // is opened: a command that opens none does not fail on it.
        let anyCeiling = try CLI.run(
            ["cron", "next", "0 6 * * *", "--from", "2026-01-01T00:00:00Z", "--count", "1"] + data,
            environment: ["CAIRN_MAX_SIZE": "nope"])
        #expect(anyCeiling.status == 0, "\(anyCeiling.stderr)")

        let empty = folder.path + "/empty.update"
        try Data([0, 0]).write(to: URL(fileURLWithPath: empty))
        let merged = try CLI.run(["ydoc", "merge", empty, "--root", "m:map"] + data)
        #expect(merged.status == 0, "\(merged.stderr)")
        #expect(try merged.json() as? [String: [String: String]] == ["m": [:]])
    }

    @Test func workflowPublishTakesJSON() throws {
        let folder = TemporaryFolder()
        let published = try CLI.run(["workflow", "publish", workflowFile, "--json", "--data", folder.path])
        #expect(published.status == 0, "\(published.stderr)")
        let answer = try #require(try published.json() as? [String: Any])
        #expect(answer["lock_version"] as? Int == 1)
        #expect(answer["changed"] as? Bool == true)
    }

    @Test func aBadTimeIsAUsageError() throws {
        let folder = TemporaryFolder()
        let tick = try CLI.run(["schedule", "tick", "--at", "yesterday", "--json", "--data", folder.path])
        #expect(tick.status == 2)
        #expect(tick.stdout.isEmpty)
        #expect(tick.stderr.contains("--at: 'yesterday'"))
    }
}
