import Foundation
import EventLog
import TestSupport
import Testing

/// The whole path a script takes: configure, publish, ingest a realistic
/// multi-run file, read the runs and dataclips back.
@Suite struct IngestCommandTests {
    let workflowFile = Fixtures.url("workflows/daily-report.json").path
    let eventsFile = Fixtures.url("worker-events/two-runs.jsonl").path

    func prepared() throws -> TemporaryFolder {
        let folder = TemporaryFolder()
        let configure = try CLI.run([
            "project", "configure", "4f9e2d1c-aaaa-4bbb-8ccc-000000000001", "--name", "Orders", "--data", folder.path,
        ])
        #expect(configure.status == 0, "\(configure.stderr)")
        let publish = try CLI.run(["workflow", "publish", workflowFile, "--data", folder.path])
        #expect(publish.status == 0, "\(publish.stderr)")
        #expect(try publish.json() as? NSDictionary == [
            "workflow_id": "7b1c2b4e-0c2d-4f7a-9a51-1d2f3e4a5b60", "lock_version": 1, "changed": true,
        ])
        return folder
    }

    @Test func ingestReportsEachRejectedLineAndKeepsGoing() throws {
        let folder = try prepared()
        let result = try CLI.run(["ingest", eventsFile, "--data", folder.path, "--json"])
        #expect(result.status == 1)
        #expect(try result.json() as? NSDictionary == ["appended": 15, "duplicates": 0, "rejected": 7])
        let lines = result.stderr.split(separator: "\n").map(String.init)
        #expect(lines == [
            "line 11: run:start: run_id: run b1000000-0000-4000-8000-000000000002 is available; run:start is not allowed from that state",
            "line 14: step:start: job_id: job ffffffff-0000-4000-8000-000000000009 is not in workflow 7b1c2b4e-0c2d-4f7a-9a51-1d2f3e4a5b60 at lock_version 1",
            "line 16: step:complete: output_dataclip: output_dataclip and output_dataclip_id must be given together",
            "line 18: run:complete: final_dataclip_id: final_dataclip_id does not exist",
            "line 20: run:start: run_id: run b1000000-0000-4000-8000-000000000002 is already final (failed); run:start is not allowed",
            "line 21: (unparsed): event: invalid JSON at byte 0: invalid literal",
            "line 22: run:teleport: event: unknown event type 'run:teleport'",
        ])

        // Ingesting again appends nothing: ids (given or derived) make it idempotent.
        let again = try CLI.run(["ingest", eventsFile, "--data", folder.path, "--json"])
        #expect(try again.json() as? NSDictionary == ["appended": 0, "duplicates": 15, "rejected": 7])
    }

    /// `--commits`: after each durable batch, `committed through line N`
    /// on stderr, after the refusals it settles and before any later one,
    /// so a killed feeder knows where to resume. The refusals are the same
    /// as without it, whatever the batch size.
    @Test(arguments: [1, 5, 1_000])
    func commitsSettleEveryLineInOrder(batchSize: Int) throws {
        let folder = try prepared()
        let other = try prepared()
        let plain = try CLI.run(["ingest", eventsFile, "--data", other.path, "--json"])
        let result = try CLI.run(["ingest", eventsFile, "--commits", "--batch-size", "\(batchSize)", "--data", folder.path, "--json"])
        #expect(result.status == 1)
        #expect(try result.json() as? NSDictionary == ["appended": 15, "duplicates": 0, "rejected": 7])
        let lines = result.stderr.split(separator: "\n").map(String.init)
        let prefix = "committed through line "
        #expect(lines.filter { !$0.hasPrefix(prefix) } == plain.stderr.split(separator: "\n").map(String.init))
        var settled = 0
        var commits: [Int] = []
        for line in lines {
            if line.hasPrefix(prefix) {
                let through = try #require(Int(line.dropFirst(prefix.count)))
                #expect(through > settled, "\(line) after line \(settled) was settled")
                settled = through
                commits.append(through)
            } else {
                // A refusal of line N comes after what settled the lines before it, never after N itself.
                let number = try #require(Int(line.dropFirst("line ".count).prefix { $0.isNumber }))
                #expect(number > settled, "\(line) came after line \(settled) was settled")
            }
        }
        #expect(commits.last == 22, "the last line of the file is settled")
        if batchSize == 5 { #expect(commits == [5, 10, 15, 20, 21, 22]) }
    }

    @Test func runsAndDataclipsReadBack() throws {
        let folder = try prepared()
        try CLI.run(["ingest", eventsFile, "--data", folder.path])
        let show = try CLI.run(["runs", "show", "b1000000-0000-4000-8000-000000000001", "--data", folder.path, "--json"])
        #expect(show.status == 0, "\(show.stderr)")
        let run = try #require(try show.json() as? [String: Any])
        #expect(run["state"] as? String == "success")
        #expect(run["lock_version"] as? Int == 1)
        #expect(run["project_id"] as? String == "4f9e2d1c-aaaa-4bbb-8ccc-000000000001")
        #expect(run["starting_trigger_id"] as? String == "c1000000-0000-4000-8000-000000000001")
        #expect(run["final_dataclip_id"] as? String == "d1000000-0000-4000-8000-000000000002")
        #expect(run["claimed_at"] as? String == "2026-11-24T06:00:01Z")
        #expect(run["finished_at"] as? String == "2026-11-24T06:00:07Z")
        let steps = try #require(run["steps"] as? [[String: Any]])
        #expect(steps.map { $0["exit_reason"] as? String } == ["success", "success"])
        #expect(steps.map { $0["output_dataclip_id"] as? String } == [
            "d1000000-0000-4000-8000-000000000001", "d1000000-0000-4000-8000-000000000002",
        ])
        #expect(steps[1]["input_dataclip_id"] as? String == "d1000000-0000-4000-8000-000000000001")

        let failed = try #require(try CLI.run([
            "runs", "show", "b1000000-0000-4000-8000-000000000002", "--data", folder.path, "--json",
        ]).json() as? [String: Any])
        #expect(failed["state"] as? String == "failed")
        let finalId = try #require(failed["final_dataclip_id"] as? String)
        let final = try #require(try CLI.run(["dataclips", "show", finalId, "--data", folder.path, "--json"]).json() as? [String: Any])
        #expect(final["type"] as? String == "step_result")
        #expect(final["body"] as? NSDictionary == ["a1000000-0000-4000-8000-000000000001": ["error": 502]])

        let clip = try #require(try CLI.run([
            "dataclips", "show", "d1000000-0000-4000-8000-000000000002", "--data", folder.path, "--json",
        ]).json() as? [String: Any])
        #expect(clip["body"] as? NSDictionary == ["data": [1, 2, 3], "total": 3])
        #expect(clip["wiped_at"] is NSNull)
        #expect(clip["project_id"] as? String == "4f9e2d1c-aaaa-4bbb-8ccc-000000000001")

        #expect(try CLI.run(["runs", "show", "nope", "--data", folder.path]).status == 1)

        let listed = try #require(try CLI.run([
            "runs", "list", "--workflow", "7b1c2b4e-0c2d-4f7a-9a51-1d2f3e4a5b60", "--data", folder.path, "--json",
        ]).json() as? [[String: Any]])
        #expect(listed.map { $0["id"] as? String } == ["b1000000-0000-4000-8000-000000000002", "b1000000-0000-4000-8000-000000000001"])

        // A backup is a data folder of its own with the same runs.
        let backup = folder.path + "/backup"
        #expect(try CLI.run(["backup", backup, "--data", folder.path]).status == 0)
        let restored = try #require(try CLI.run(["runs", "show", "b1000000-0000-4000-8000-000000000001", "--data", backup, "--json"]).json() as? [String: Any])
        #expect(restored["state"] as? String == "success")
        #expect(try CLI.run(["backup", backup, "--data", folder.path]).status == 1)
    }

    @Test func stdinAndPublishValidation() throws {
        let folder = try prepared()
        let line = #"{"event":"run:created","payload":{"run_id":"r-stdin","workflow_id":"7b1c2b4e-0c2d-4f7a-9a51-1d2f3e4a5b60","input":{"type":"global","body":{"k":1}}}}"#
        let result = try CLI.run(["ingest", "-", "--data", folder.path, "--json"], stdin: line + "\n")
        #expect(try result.json() as? NSDictionary == ["appended": 1, "duplicates": 0, "rejected": 0])

        // A workflow with problems lists them all, with paths, and stores nothing.
        let bad = folder.path + "/bad.json"
        try #"{"id":"not-a-uuid","project_id":"p","name":"x","jobs":[{"id":"a1000000-0000-4000-8000-000000000001","name":"A"},{"id":"a1000000-0000-4000-8000-000000000002","name":"a"}],"triggers":[{"id":"c1000000-0000-4000-8000-000000000001","type":"cron","cron_expression":"0 0 30 2 *"}],"edges":[{"id":"e1000000-0000-4000-8000-000000000001","source_job_id":"a1000000-0000-4000-8000-000000000001","target_job_id":"a1000000-0000-4000-8000-000000000009"}]}"#
            .write(toFile: bad, atomically: true, encoding: .utf8)
        let publish = try CLI.run(["workflow", "publish", bad, "--data", folder.path])
        #expect(publish.status == 1)
        #expect(publish.stderr.contains("id: 'not-a-uuid' is not a UUID"))
        #expect(publish.stderr.contains("jobs[1].name"))
        #expect(publish.stderr.contains("triggers[0].cron_expression"))
        #expect(publish.stderr.contains("edges[0].target_job_id"))
    }

    @Test func eraseAllProjectFromTheCLI() throws {
        let folder = try prepared()
        let configure = try CLI.run([
            "project", "configure", "4f9e2d1c-aaaa-4bbb-8ccc-000000000001", "--retention", "erase_all",
            "--data", folder.path, "--json",
        ])
        #expect(try configure.json() as? NSDictionary == [
            "id": "4f9e2d1c-aaaa-4bbb-8ccc-000000000001", "name": "Orders", "retention": "erase_all",
        ])
        try CLI.run(["ingest", eventsFile, "--data", folder.path])
        let clip = try #require(try CLI.run([
            "dataclips", "show", "d1000000-0000-4000-8000-000000000002", "--data", folder.path, "--json",
        ]).json() as? [String: Any])
        #expect(clip["body"] is NSNull)
        #expect(clip["wiped_at"] as? String == "2026-11-24T06:00:06Z")
    }
}

/// Issue #17: one `run:created` line with a nanosecond timestamp was
/// committed, and from then on every read of the folder failed. It is now
/// refused at ingest, naming the field, and the folder stays readable.
@Suite struct IngestBoundsTests {
    @Test func aNanosecondTimestampIsRefusedAndTheFolderStaysReadable() throws {
        let folder = try IngestCommandTests().prepared()
        let line = #"{"event": "run:created", "payload": {"run_id": "b1000000-0000-4000-8000-0000000000aa", "#
            + #""workflow_id": "7b1c2b4e-0c2d-4f7a-9a51-1d2f3e4a5b60", "input": {"type": "global", "body": {}}, "#
            + #""timestamp": 1152921504606846976}}"#
        let files = TemporaryFolder()
        let file = URL(fileURLWithPath: files.path).appendingPathComponent("huge.jsonl")
        try Data((line + "\n").utf8).write(to: file)
        let ingest = try CLI.run(["ingest", file.path, "--data", folder.path, "--json"])
        #expect(ingest.status == 1)
        #expect(try ingest.json() as? NSDictionary == ["appended": 0, "duplicates": 0, "rejected": 1])
        let lines = ingest.stderr.split(separator: "\n").map(String.init)
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("line 1: run:created: timestamp: ") == true, "\(lines)")
        let cursor = try CLI.run(["cursor", "c1000000-0000-4000-8000-000000000001", "--data", folder.path])
        #expect(cursor.status == 0, "\(cursor.stderr)")
        let verify = try CLI.run(["rebuild", "--verify", "--data", folder.path])
        #expect(verify.status == 0, "\(verify.stderr)")
    }
}

extension IngestBoundsTests {
    /// A folder written before the bound, holding such an event (stored
    /// through the log's API, which the edge's bound does not cover), reads
    /// again: the run shows, projections rebuild and verify.
    @Test func aFolderAlreadyHoldingAHugeTimestampReadsAgain() throws {
        let f = try LogFixture()
        try f.run("r1", to: .claimed)
        try f.expectAppended(.startRun(runId: "r1", timestamp: Timestamp(microseconds: 1_152_921_504_606_846_976)))
        let show = try CLI.run(["runs", "show", "r1", "--data", f.folder.path, "--json"])
        #expect(show.status == 0, "\(show.stderr)")
        #expect((try show.json() as? [String: Any])?["state"] as? String == "started")
        let verify = try CLI.run(["rebuild", "--verify", "--data", f.folder.path])
        #expect(verify.status == 0, "\(verify.stderr)")
    }
}
