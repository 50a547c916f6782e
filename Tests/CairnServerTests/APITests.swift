import CairnKit
import CairnServer
import Foundation
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing
import Workflows

@Suite struct APITests {
    let workflow = "7b1c2b4e-0c2d-4f7a-9a51-1d2f3e4a5b60"
    let cron = "c1000000-0000-4000-8000-000000000001"

    /// A store with the sample workflow published in project p1, and tokens for p1 and p2.
    func app() throws -> (some ApplicationProtocol, TemporaryFolder) {
        let folder = TemporaryFolder()
        let store = try Store(path: folder.path)
        let text = try String(contentsOf: Fixtures.url("workflows/daily-report.json"), encoding: .utf8)
            .replacingOccurrences(of: "4f9e2d1c-aaaa-4bbb-8ccc-000000000001", with: "p1")
        let workflow = try WorkflowJSONDecoding.decode(text)
        _ = try store.publish(workflow)
        try TwoProjects.issueTokens(store)
        let configuration = ServerConfiguration(runScheduler: false)
        return (Application(router: makeRouter(store: store, configuration: configuration)), folder)
    }

    func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any] ?? [:]
    }

    func auth(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)"] }

    @Test func tokensGateEveryProjectRoute() async throws {
        let (app, folder) = try app()
        _ = folder
        try await app.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response throws in #expect(response.status == .ok) }
            try await client.execute(uri: "/api/v1/runs", method: .post, body: ByteBuffer(string: "{}")) { response throws in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: "/api/v1/runs", method: .post, headers: auth("wrong"), body: ByteBuffer(string: "{}")) { response throws in
                #expect(response.status == .unauthorized)
            }
            let create = #"{"run_id":"r1","workflow_id":"\#(workflow)","input":{"type":"global","body":{"a":1}}}"#
            try await client.execute(uri: "/api/v1/runs", method: .post, headers: auth("t2"), body: ByteBuffer(string: create)) { response throws in
                #expect(response.status == .forbidden)
            }
            try await client.execute(uri: "/api/v1/runs", method: .post, headers: auth("t1"), body: ByteBuffer(string: create)) { response throws in
                #expect(response.status == .created)
            }
            try await client.execute(uri: "/api/v1/runs/r1", method: .get, headers: auth("t2")) { response throws in #expect(response.status == .forbidden) }
            try await client.execute(uri: "/api/v1/runs/r1", method: .get, headers: auth("t1")) { response throws in
                #expect(response.status == .ok)
                #expect(try json(response.body)["state"] as? String == "available")
            }
        }
    }

    @Test func aRunThroughTheWorkerAPIMovesTheCursor() async throws {
        let (app, folder) = try app()
        _ = folder
        try await app.test(.router) { client in
            let create = #"{"run_id":"r1","workflow_id":"\#(workflow)","starting_trigger_id":"\#(cron)","input":{"type":"global","body":{}}}"#
            try await client.execute(uri: "/api/v1/runs", method: .post, headers: auth("t1"), body: ByteBuffer(string: create)) { response throws in
                #expect(response.status == .created)
            }
            try await client.execute(uri: "/api/v1/runs/claim", method: .post, headers: auth("t1"), body: ByteBuffer(string: #"{"worker_name":"w"}"#)) { response throws in
                let runs = try json(response.body)["runs"] as? [[String: Any]]
                #expect(runs?.first?["id"] as? String == "r1")
            }
            let events = """
                [{"event":"run:start","payload":{}},
                 {"event":"step:start","payload":{"step_id":"s1","job_id":"a1000000-0000-4000-8000-000000000001"}},
                 {"event":"step:complete","payload":{"step_id":"s1","job_id":"a1000000-0000-4000-8000-000000000001","reason":"success","output_dataclip_id":"out1","output_dataclip":"{\\"n\\":1}"}},
                 {"event":"run:complete","payload":{"reason":"success","final_dataclip_id":"out1"}}]
                """
            try await client.execute(uri: "/api/v1/runs/r1/events", method: .post, headers: auth("t1"), body: ByteBuffer(string: events)) { response throws in
                #expect(response.status == .ok)
                let results = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [[String: Any]]
                #expect(results?.map { $0["status"] as? String } == ["appended", "appended", "appended", "appended"])
            }
            try await client.execute(uri: "/api/v1/triggers/\(cron)/cursor", method: .get, headers: auth("t1")) { response throws in
                let cursor = try json(response.body)
                #expect(cursor["source"] as? String == "job_output")
                #expect(cursor["dataclip_id"] as? String == "out1")
                #expect(cursor["body"] as? NSDictionary == ["n": 1])
            }
            // A refused event: 422 with the field.
            try await client.execute(uri: "/api/v1/runs/r1/events", method: .post, headers: auth("t1"), body: ByteBuffer(string: #"{"event":"run:start","id":"11111111-1111-4111-8111-111111111111","payload":{}}"#)) { response throws in
                #expect(response.status == .unprocessableContent)
                let error = (try json(response.body)["error"]) as? [String: Any]
                #expect(error?["field"] as? String == "run_id")
            }
            try await client.execute(uri: "/api/v1/dataclips/out1", method: .get, headers: auth("t1")) { response throws in
                #expect((try json(response.body)["body"]) as? NSDictionary == ["n": 1])
            }
            try await client.execute(uri: "/api/v1/workflows/\(workflow)/runs", method: .get, headers: auth("t1")) { response throws in
                #expect(((try json(response.body)["runs"]) as? [Any])?.count == 1)
            }
            try await client.execute(uri: "/metrics", method: .get) { response throws in
                #expect(String(buffer: response.body).contains("cairn_events_total"))
            }
            try await client.execute(uri: "/openapi.json", method: .get) { response throws in
                #expect(try json(response.body)["openapi"] as? String == "3.1.0")
            }
        }
    }
}

extension APITests {
    /// Many workers at once, each posting a whole run: the appends share
    /// transactions (group commit) and nothing is lost, reordered or doubled.
    @Test func manyWorkersAtOnceLoseNothing() async throws {
        let (app, folder) = try app()
        _ = folder
        let job = "a1000000-0000-4000-8000-000000000001"
        let runs = 24
        try await app.test(.router) { client in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<runs {
                    group.addTask {
                        let create = #"{"run_id":"w\#(i)","workflow_id":"\#(workflow)","input":{"type":"global","body":{}}}"#
                        try await client.execute(uri: "/api/v1/runs", method: .post, headers: auth("t1"), body: ByteBuffer(string: create)) { response throws in
                            #expect(response.status == .created)
                        }
                        let events = """
                            [{"event":"run:claimed","payload":{"worker_name":"w\(i)"}},
                             {"event":"run:start","payload":{}},
                             {"event":"step:start","payload":{"step_id":"w\(i)s","job_id":"\(job)"}},
                             {"event":"step:complete","payload":{"step_id":"w\(i)s","job_id":"\(job)","reason":"success","output_dataclip_id":"w\(i)o","output_dataclip":"{\\"i\\":\(i)}"}},
                             {"event":"run:complete","payload":{"reason":"success","final_dataclip_id":"w\(i)o"}}]
                            """
                        try await client.execute(uri: "/api/v1/runs/w\(i)/events", method: .post, headers: auth("t1"), body: ByteBuffer(string: events)) { response throws in
                            let results = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [[String: Any]]
                            #expect(results?.map { $0["status"] as? String } == Array(repeating: "appended", count: 5))
                        }
                    }
                }
                try await group.waitForAll()
            }
            for i in 0..<runs {
                try await client.execute(uri: "/api/v1/runs/w\(i)", method: .get, headers: auth("t1")) { response throws in
                    let run = try json(response.body)
                    #expect(run["state"] as? String == "success")
                    #expect(run["final_dataclip_id"] as? String == "w\(i)o")
                }
            }
        }
        // Every event once, sequences dense, projections caught up.
        let store = try Store(path: folder.path)
        let head = try store.log.lastSequence()
        var sequences: [UInt64] = []
        try store.log.forEachEncodedEvent(from: 1) { sequence, _ in
            sequences.append(sequence)
            return true
        }
        #expect(sequences == Array(1...head))
        #expect(try store.projections.engine.positions().values.allSatisfy { $0 == head })
        #expect(try store.engineVerifies())
    }
}

extension Store {
    func engineVerifies() throws -> Bool { try projections.engine.verify().isEmpty }
}

enum WorkflowJSONDecoding {
    static func decode(_ text: String) throws -> Workflows.Workflow {
        try Workflows.WorkflowJSON.decode(Array(text.utf8))
    }
}
