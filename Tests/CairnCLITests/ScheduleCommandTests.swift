import Foundation
import TestSupport
import Testing

@Suite struct ScheduleCommandTests {
    let workflowFile = Fixtures.url("workflows/daily-report.json").path
    let eventsFile = Fixtures.url("worker-events/two-runs.jsonl").path
    let cron = "c1000000-0000-4000-8000-000000000001"

    @Test func tickCreatesTheMinutesRunsOnceWithTheCursorsInput() throws {
        let folder = TemporaryFolder()
        let data = ["--data", folder.path]
        #expect(try CLI.run(["workflow", "publish", workflowFile] + data).status == 0)
        // Not the trigger's minute (06:00 daily).
        #expect(try CLI.run(["schedule", "tick", "--at", "2026-11-25T05:00:00Z", "--json"] + data).json() as? NSArray == NSArray())
        let first = try CLI.run(["schedule", "tick", "--at", "2026-11-25T06:00:00Z", "--json"] + data)
        #expect(first.status == 0, "\(first.stderr)")
        let runs = try #require(try first.json() as? [[String: Any]])
        #expect(runs.count == 1)
        #expect(runs.first?["trigger_id"] as? String == cron)
        #expect(runs.first?["workflow_id"] as? String == "7b1c2b4e-0c2d-4f7a-9a51-1d2f3e4a5b60")
        #expect(runs.first?["source"] as? String == "empty")
        #expect(Set(runs.first?.keys.map { $0 } ?? []) == ["run_id", "trigger_id", "workflow_id", "input_dataclip_id", "source"])
        // The same minute again creates nothing.
        #expect(try CLI.run(["schedule", "tick", "--at", "2026-11-25T06:00:00Z", "--json"] + data).json() as? NSArray == NSArray())

        // After runs complete, the next tick takes the cursor job's output.
        try CLI.run(["ingest", eventsFile] + data)
        let next = try #require(try CLI.run(["schedule", "tick", "--at", "2026-11-26T06:00:00Z", "--json"] + data).json() as? [[String: Any]])
        #expect(next.first?["source"] as? String == "job_output")
        #expect(next.first?["input_dataclip_id"] as? String == "d1000000-0000-4000-8000-000000000001")
        let run = try #require(try CLI.run(["runs", "show", next.first?["run_id"] as? String ?? ""] + data + ["--json"]).json() as? [String: Any])
        #expect(run["state"] as? String == "available")
        #expect(run["input_dataclip_id"] as? String == "d1000000-0000-4000-8000-000000000001")
        #expect(run["starting_trigger_id"] as? String == cron)

        let upcoming = try #require(try CLI.run(["schedule", "upcoming", "--from", "2026-11-26T07:00:00Z", "--json"] + data).json() as? [[String: Any]])
        #expect(upcoming.first?["fires_at"] as? String == "2026-11-27T06:00:00Z")
    }

    /// Session 16's review: an expanded ISO year (or microseconds) near the
    /// bottom of 64 bits parsed, and the tick's minute arithmetic trapped.
    @Test func timesBeyondYear9999OrBeforeYear1AreRefusedNotATrap() throws {
        let folder = TemporaryFolder()
        let data = ["--data", folder.path]
        for time in ["-290308-12-21T19:59:06Z", "-9223372036854000000", "10000-01-01T00:00:00Z", "-0001-12-31T00:00:00Z"] {
            for command in [["schedule", "tick", "--at=\(time)"], ["schedule", "upcoming", "--from=\(time)"],
                            ["cron", "next", "* * * * *", "--from=\(time)"]] {
                let result = try CLI.run(command + (command[0] == "cron" ? [] : data))
                // A usage error: a bad option value (docs/cli.md).
                #expect(result.status == 2, "\(command): \(result.status) \(result.stderr)")
                #expect(result.stderr.contains("year 1 to 9999"), "\(command): \(result.stderr)")
            }
        }
        let edge = try CLI.run(["cron", "next", "0 0 * * *", "--from", "9999-12-30T12:00:00Z", "--json"])
        #expect(edge.status == 0, "\(edge.stderr)")
        #expect(edge.stdout.contains("9999-12-31T00:00:00Z"), "\(edge.stdout)")
    }

    /// A catch-up window whose seconds overflow, and a negative limit, were
    /// traps (found by this session's second review); they are usage errors.
    @Test func aHugeCatchUpOrANegativeLimitIsRefusedNotATrap() throws {
        let folder = TemporaryFolder()
        for command in [["schedule", "tick", "--catch-up", "\(Int.max / 2)"], ["schedule", "tick", "--catch-up=-1"],
                        ["schedule", "upcoming", "--limit=-1"], ["schedule", "upcoming", "--limit", "100001"]] {
            let result = try CLI.run(command + ["--data", folder.path])
            #expect(result.status == 2, "\(command): \(result.status) \(result.stderr)")
            #expect(result.stderr.contains("must be 0..."), "\(command): \(result.stderr)")
        }
        let none = try CLI.run(["schedule", "upcoming", "--limit", "0", "--json", "--data", folder.path])
        #expect(none.status == 0 && none.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[]", "\(none.stdout) \(none.stderr)")
    }
}
