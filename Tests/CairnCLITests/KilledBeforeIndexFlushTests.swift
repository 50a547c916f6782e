import Foundation
import TestSupport
import Testing

/// The fault point between an append's commit and the flush of its index
/// entries, with a real process: `cairn ingest` kills itself (SIGKILL) right
/// after its append commits (`CAIRN_FAULT_KILL_AFTER_COMMITS`), so its index
/// entries were only ever in its memory. The next process finds every event
/// in the log and indexes it from there.
@Suite struct KilledBeforeIndexFlushTests {
    let workflowFile = Fixtures.url("workflows/daily-report.json").path
    let eventsFile = Fixtures.url("worker-events/two-runs.jsonl").path

    @Test func resentEventsAreDuplicatesAndLookupsAnswerAsBefore() throws {
        let killed = TemporaryFolder()
        let clean = TemporaryFolder()
        for folder in [killed, clean] {
            let data = ["--data", folder.path]
            #expect(try CLI.run(["project", "configure", "4f9e2d1c-aaaa-4bbb-8ccc-000000000001"] + data).status == 0)
            #expect(try CLI.run(["workflow", "publish", workflowFile] + data).status == 0)
        }
        let crash = try CLI.run(
            ["ingest", eventsFile, "--data", killed.path, "--json"], environment: ["CAIRN_FAULT_KILL_AFTER_COMMITS": "1"])
        #expect(crash.status == SIGKILL && crash.stdout.isEmpty, "the process died at the fault point: \(crash.stderr)")
        let reference = try CLI.run(["ingest", eventsFile, "--data", clean.path, "--json"])
        #expect(try reference.json() as? NSDictionary == ["appended": 15, "duplicates": 0, "rejected": 7])

        // Every event the killed process committed is there once: sending them all again appends nothing.
        let again = try CLI.run(["ingest", eventsFile, "--data", killed.path, "--json"])
        #expect(try again.json() as? NSDictionary == ["appended": 0, "duplicates": 15, "rejected": 7])
        for run in ["b1000000-0000-4000-8000-000000000001", "b1000000-0000-4000-8000-000000000002"] {
            let afterCrash = try CLI.run(["runs", "show", run, "--json", "--data", killed.path])
            let expected = try CLI.run(["runs", "show", run, "--json", "--data", clean.path])
            #expect(afterCrash.status == 0 && afterCrash.stdout == expected.stdout, "\(run): \(afterCrash.stderr)")
        }
        let dataclip = try CLI.run(["dataclips", "show", "d1000000-0000-4000-8000-000000000002", "--json", "--data", killed.path])
        #expect(dataclip.status == 0 && dataclip.stdout.contains("\"body\""), "\(dataclip.stderr)")
        let verify = try CLI.run(["rebuild", "--verify", "--data", killed.path])
        #expect(verify.status == 0, "\(verify.stdout) \(verify.stderr)")
    }
}
