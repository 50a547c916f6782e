import CairnKit
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Requests that asked for too much, or sent the wrong shape, get a 400
/// that names what was wrong (issue #17, item 14).
@Suite struct RequestLimitsTests {
    typealias P = TwoProjects

    func error(_ buffer: ByteBuffer) throws -> (field: String?, message: String?) {
        let error = (try P.json(buffer) as? [String: Any])?["error"] as? [String: Any]
        return (error?["field"] as? String, error?["message"] as? String)
    }

    @Test func aPublishBodyMustBeAnObjectOrEmpty() async throws {
        let p = try TwoProjects()
        let before = try p.store.log.lastSequence()
        try await p.app.test(.router) { client in
            for body in ["[]", "[1]", #""x""#, "null", "3"] {
                try await client.execute(uri: "/api/v1/workflows/\(P.workflowA)/publish", method: .post, headers: P.auth("t1"),
                    body: ByteBuffer(string: body)) { response throws in
                    #expect(response.status == .badRequest, "\(body)")
                    #expect(try error(response.body).field == "body", "\(body)")
                }
            }
        }
        #expect(try p.store.log.lastSequence() == before)
    }

    @Test func theRunsOfAWorkflowAreAskedForInPages() async throws {
        let p = try TwoProjects()
        try await p.app.test(.router) { client in
            for i in 0..<3 {
                try await client.execute(uri: "/api/v1/runs", method: .post, headers: P.auth("t1"),
                    body: ByteBuffer(string: P.create("r\(i)", workflow: P.workflowA, input: "in\(i)"))) { _ throws in }
            }
            for limit in ["0", "-1", "1001", "1000000000", "x"] {
                try await client.execute(uri: "/api/v1/workflows/\(P.workflowA)/runs?limit=\(limit)", method: .get, headers: P.auth("t1")) {
                    response throws in
                    #expect(response.status == .badRequest, "limit=\(limit)")
                    #expect(try error(response.body).field == "limit")
                }
            }
            for (query, count) in [("?limit=2", 2), ("?limit=1000", 3), ("", 3)] {
                try await client.execute(uri: "/api/v1/workflows/\(P.workflowA)/runs\(query)", method: .get, headers: P.auth("t1")) {
                    response throws in
                    #expect(response.status == .ok)
                    #expect(((try P.json(response.body) as? [String: Any])?["runs"] as? [Any])?.count == count)
                }
            }
        }
    }
}
