import CairnKit
import EventLog
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// A claim reads only the token's project's available runs: another
/// project's backlog, however old its runs claim to be, does not starve it
/// (issue #17, item 10).
@Suite struct ClaimFairnessTests {
    typealias P = TwoProjects

    @Test func aBacklogOfAnotherProjectDoesNotStarveAClaim() async throws {
        let p = try TwoProjects()
        // Project p1: 500 runs waiting, each claiming to be created at time 0.
        let backlog = (0..<500).map { i in
            Submission(id: .random(), command: .createRun(CreateRun(
                runId: "a\(i)", workflowId: P.workflowA, input: NewDataclip(type: .global, body: Array("{}".utf8)),
                timestamp: Timestamp(microseconds: 0))))
        }
        #expect(try p.store.append(backlog).allSatisfy { if case .appended = $0 { true } else { false } })
        try await p.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/runs", method: .post, headers: P.auth("t2"),
                body: ByteBuffer(string: P.create("b1", workflow: P.workflowB, input: "in-b1"))) { response throws in
                #expect(response.status == .created)
            }
            try await client.execute(uri: "/api/v1/runs/claim", method: .post, headers: P.auth("t2"),
                body: ByteBuffer(string: #"{"worker_name":"wb","demand":1}"#)) { response throws in
                let runs = (try P.json(response.body) as? [String: Any])?["runs"] as? [[String: Any]]
                #expect(runs?.map { $0["id"] as? String } == ["b1"])
            }
            // p1's worker gets its own, oldest first (by time, then id).
            try await client.execute(uri: "/api/v1/runs/claim", method: .post, headers: P.auth("t1"),
                body: ByteBuffer(string: #"{"worker_name":"wa","demand":3}"#)) { response throws in
                let runs = (try P.json(response.body) as? [String: Any])?["runs"] as? [[String: Any]]
                #expect(runs?.map { $0["id"] as? String } == ["a0", "a1", "a10"])
            }
        }
        #expect(try p.store.projections.run("b1")?.state == .claimed)
        #expect(try ["a0", "a1", "a10", "a100"].map { try p.store.projections.run($0)?.state } == [.claimed, .claimed, .claimed, .available])
    }
}
