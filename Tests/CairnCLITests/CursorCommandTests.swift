import Foundation
import TestSupport
import Testing

@Suite struct CursorCommandTests {
    let workflowFile = Fixtures.url("workflows/daily-report.json").path
    let eventsFile = Fixtures.url("worker-events/two-runs.jsonl").path
    let cron = "c1000000-0000-4000-8000-000000000001"
    let webhook = "c1000000-0000-4000-8000-000000000002"

    @Test func cursorMovesAsRunsCompleteAndRebuildVerifies() throws {
        let folder = TemporaryFolder()
        let data = ["--data", folder.path]
        #expect(try CLI.run(["workflow", "publish", workflowFile] + data).status == 0)
        let before = try CLI.run(["cursor", cron, "--json"] + data)
        #expect(try before.json() as? NSDictionary == [
            "trigger_id": cron, "source": "empty", "dataclip_id": NSNull(), "body": NSNull(),
        ])
        try CLI.run(["ingest", eventsFile] + data)
        // The cron trigger's cursor is job 1: its latest successful output.
        let after = try CLI.run(["cursor", cron, "--json"] + data)
        #expect(try after.json() as? NSDictionary == [
            "trigger_id": cron, "source": "job_output", "dataclip_id": "d1000000-0000-4000-8000-000000000001",
            "body": ["data": [1, 2, 3], "lastSeen": "2026-11-24"],
        ])
        // The webhook trigger's only run failed: nothing to feed.
        #expect((try CLI.run(["cursor", webhook, "--json"] + data).json() as? NSDictionary)?["source"] as? String == "empty")
        #expect(try CLI.run(["cursor", "no-such-trigger"] + data).status == 1)

        let rebuild = try CLI.run(["rebuild", "--json"] + data)
        #expect(rebuild.status == 0, "\(rebuild.stderr)")
        let verify = try CLI.run(["rebuild", "--verify", "--json"] + data)
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect((try verify.json() as? NSDictionary)?["identical"] as? Bool == true)
        #expect(try CLI.run(["cursor", cron, "--json"] + data).stdout == after.stdout)
    }
}
