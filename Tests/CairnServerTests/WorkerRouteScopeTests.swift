import CairnKit
import EventLog
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// `POST /api/v1/runs/{id}/events` writes only into the path's run, and only
/// things of the token's project (issue #17, item 2).
@Suite struct WorkerRouteScopeTests {
    typealias P = TwoProjects

    /// Posts `body` to run `run`'s events with `token`; returns the status and each event's error field.
    func post(_ client: some TestClientProtocol, _ run: String, _ token: String, _ body: String) async throws
        -> (HTTPResponse.Status, [String?])
    {
        try await client.execute(uri: "/api/v1/runs/\(run)/events", method: .post, headers: P.auth(token), body: ByteBuffer(string: body)) {
            response throws in
            let value = try P.json(response.body)
            let items = (value as? [[String: Any]]) ?? [(value as? [String: Any]) ?? [:]]
            return (response.status, items.map { ($0["error"] as? [String: Any])?["field"] as? String })
        }
    }

    /// Run `ra` of p1 (input `in-ra`) and run `rb` of p2 (input `in-rb`), each by its project's token.
    func createRaAndRb(_ client: some TestClientProtocol) async throws {
        for (run, workflow, token) in [("ra", P.workflowA, "t1"), ("rb", P.workflowB, "t2")] {
            try await client.execute(uri: "/api/v1/runs", method: .post, headers: P.auth(token),
                body: ByteBuffer(string: P.create(run, workflow: workflow, input: "in-\(run)"))) { _ throws in }
        }
    }

    @Test func eventsThatAreNotAboutThePathsRunAreRefused() async throws {
        let p = try TwoProjects()
        try await p.app.test(.router) { client in
            for (run, workflow, token) in [("ra", P.workflowA, "t1"), ("rb", P.workflowB, "t2")] {
                try await client.execute(uri: "/api/v1/runs", method: .post, headers: P.auth(token),
                    body: ByteBuffer(string: P.create(run, workflow: workflow, input: "in-\(run)"))) { response throws in
                    #expect(response.status == .created)
                }
            }
            // With p1's token and p1's run: reconfigure p2, wipe p2's input, create a run.
            let foreign = [
                #"{"event":"project:configured","payload":{"project_id":"p2","retention":"erase_all"}}"#,
                #"{"event":"project:configured","payload":{"project_id":"p1","retention":"erase_all"}}"#,
                #"{"event":"dataclip:wiped","payload":{"dataclip_id":"in-rb"}}"#,
                #"{"event":"dataclip:wiped","payload":{"dataclip_id":"in-ra"}}"#,
                #"{"event":"run:created","payload":{"workflow_id":"\#(P.workflowA)","input_dataclip_id":"in-ra"}}"#,
            ]
            for body in foreign {
                let (status, fields) = try await post(client, "ra", "t1", body)
                #expect(status == .unprocessableContent, "\(body)")
                #expect(fields == ["event"], "\(body)")
            }
            #expect(try p.store.log.project("p2") == nil)
            #expect(try p.store.log.project("p1") == nil)
            #expect(try p.store.log.dataclip("in-rb")?.wipedAt == nil)
            #expect(try p.store.log.dataclip("in-ra")?.wipedAt == nil)
            // In an array, the foreign one is refused and the run's own still go in.
            let (status, fields) = try await post(client, "ra", "t1", "[\(foreign[0]),{\"event\":\"run:claimed\",\"payload\":{}}]")
            #expect(status == .unprocessableContent)
            #expect(fields == ["event", nil])
            #expect(try p.store.projections.run("ra")?.state == .claimed)
            #expect(try p.store.log.project("p2") == nil)
        }
    }

    /// The run in each payload must be the path's, as decoded: a duplicated
    /// key cannot smuggle another run past the check.
    @Test func theRunOfEveryPayloadIsThePathsRun() async throws {
        let p = try TwoProjects()
        try await p.app.test(.router) { client in
            try await createRaAndRb(client)
            for body in [
                #"{"event":"run:claimed","payload":{"run_id":"rb"}}"#,
                #"{"event":"run:cancelled","payload":{"run_id":"ra","run_id":"rb"}}"#,
            ] {
                let (status, _) = try await post(client, "ra", "t1", body)
                #expect(status == .badRequest || status == .unprocessableContent, "\(body)")
            }
            #expect(try p.store.projections.run("rb")?.state == .available)
        }
    }

    /// Dataclips an event refers to must be of its run's project: the event
    /// log's own checks (`BatchWriter.requireDataclip`, and the checks of
    /// an existing `output_dataclip_id` and `input_dataclip_id`) already
    /// refuse another project's, through the route too.
    @Test func dataclipsOfAnotherProjectAreRefused() async throws {
        let p = try TwoProjects()
        try await p.app.test(.router) { client in
            try await createRaAndRb(client)
            // A run of p1 whose input is p2's dataclip, by id or given inline with p2's id.
            for body in [
                #"{"run_id":"ra2","workflow_id":"\#(P.workflowA)","input_dataclip_id":"in-rb"}"#,
                P.create("ra3", workflow: P.workflowA, input: "in-rb"),
            ] {
                try await client.execute(uri: "/api/v1/runs", method: .post, headers: P.auth("t1"), body: ByteBuffer(string: body)) {
                    response throws in
                    #expect(response.status == .unprocessableContent)
                    #expect(((try P.json(response.body) as? [String: Any])?["error"] as? [String: Any])?["field"] as? String == "input_dataclip_id")
                }
            }
            // p2's workflow with p1's token.
            try await client.execute(uri: "/api/v1/runs", method: .post, headers: P.auth("t1"),
                body: ByteBuffer(string: P.create("ra4", workflow: P.workflowB, input: "in-ra4"))) { response throws in
                #expect(response.status == .forbidden)
            }
            let start = #"[{"event":"run:claimed","payload":{}},{"event":"run:start","payload":{}}]"#
            #expect(try await post(client, "ra", "t1", start).1 == [nil, nil])
            let stepIn = #"{"event":"step:start","payload":{"step_id":"s1","job_id":"\#(P.job)","input_dataclip_id":"in-rb"}}"#
            #expect(try await post(client, "ra", "t1", stepIn).1 == ["input_dataclip_id"])
            let step = #"{"event":"step:start","payload":{"step_id":"s1","job_id":"\#(P.job)","input_dataclip_id":"in-ra"}}"#
            #expect(try await post(client, "ra", "t1", step).1 == [nil])
            let output = #"{"event":"step:complete","payload":{"step_id":"s1","job_id":"\#(P.job)","reason":"success","output_dataclip_id":"in-rb","output_dataclip":"{}"}}"#
            #expect(try await post(client, "ra", "t1", output).1 == ["output_dataclip_id"])
            let final = #"{"event":"run:complete","payload":{"reason":"success","final_dataclip_id":"in-rb"}}"#
            #expect(try await post(client, "ra", "t1", final).1 == ["final_dataclip_id"])
            #expect(try p.store.log.dataclip("in-rb")?.body != nil)
            #expect(try p.store.projections.run("ra")?.state == .started)
        }
    }
}
