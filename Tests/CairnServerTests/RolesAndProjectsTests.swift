import CairnKit
import CairnServer
import EventLog
import Foundation
import Hummingbird
import HummingbirdTesting
import HummingbirdWebSocket
import HummingbirdWSClient
import HummingbirdWSTesting
import TestSupport
import Testing

/// Every route, and the sync socket, with a token of another project and a
/// token of too weak a role (docs/http.md, "Tokens and roles"). Tokens of
/// `TwoProjects`: t1 editor of p1, t2 editor of p2, w1 worker of p1, v1 viewer of p1.
@Suite struct RolesAndProjectsTests {
    typealias P = TwoProjects
    static let cron = "c1000000-0000-4000-8000-000000000001"

    struct Route: Sendable {
        let method: HTTPRequest.Method
        let path: String
        let body: String
        /// The weakest role it admits.
        let needs: Role
    }

    /// Each route with a request that `t1` (p1's editor) may make, about p1's things.
    static let routes: [Route] = [
        Route(method: .post, path: "/api/v1/runs", body: P.create("r2", workflow: P.workflowA, input: "in-r2"), needs: .worker),
        Route(method: .post, path: "/api/v1/runs/claim", body: #"{"demand":1}"#, needs: .worker),
        Route(method: .post, path: "/api/v1/runs/ra/events", body: #"{"event":"run:log","payload":{"message":"hi"}}"#, needs: .worker),
        Route(method: .get, path: "/api/v1/runs/ra", body: "", needs: .viewer),
        Route(method: .get, path: "/api/v1/workflows/\(P.workflowA)/runs", body: "", needs: .viewer),
        Route(method: .get, path: "/api/v1/dataclips/in-ra", body: "", needs: .viewer),
        Route(method: .get, path: "/api/v1/triggers/\(cron)/cursor", body: "", needs: .viewer),
        Route(method: .get, path: "/api/v1/triggers/\(cron)/upcoming", body: "", needs: .viewer),
        Route(method: .post, path: "/api/v1/workflows/\(P.workflowA)/publish", body: "", needs: .editor),
    ]

    static let tokenOfRole: [Role: String] = [.viewer: "v1", .worker: "w1", .editor: "t1"]

    func send(_ client: some TestClientProtocol, _ route: Route, _ token: String?) async throws -> (HTTPResponse.Status, String) {
        try await client.execute(
            uri: route.path, method: route.method, headers: token.map(P.auth) ?? [:], body: ByteBuffer(string: route.body)
        ) { response throws in (response.status, String(buffer: response.body)) }
    }

    /// A p1 run `ra` with its input `in-ra`, created by p1's worker.
    func createRa(_ client: some TestClientProtocol) async throws {
        let status = try await client.execute(uri: "/api/v1/runs", method: .post, headers: P.auth("w1"),
            body: ByteBuffer(string: P.create("ra", workflow: P.workflowA, input: "in-ra"))) { $0.status }
        #expect(status == .created)
    }

    @Test func aTokenOfTooWeakARoleGets403NamingTheRoleNeeded() async throws {
        let p = try TwoProjects()
        try await p.app.test(.router) { client in
            try await createRa(client)
            for route in Self.routes {
                for role in Role.allCases where role < route.needs {
                    let (status, body) = try await send(client, route, Self.tokenOfRole[role])
                    #expect(status == .forbidden, "\(route.path) with a \(role) token")
                    #expect(body.contains("role \(route.needs.rawValue)"), "\(route.path): \(body)")
                }
            }
            // Nothing the refused requests asked for happened.
            #expect(try p.store.log.run("r2") == nil)
            #expect(try p.store.log.run("ra")?.state == .available)
            // And each route admits its own role (the requests above were refused for their role alone).
            for route in Self.routes {
                let (status, body) = try await send(client, route, Self.tokenOfRole[route.needs])
                #expect(status.code < 300 || (route.needs == .editor && status == .notFound), "\(route.path): \(status) \(body)")
            }
        }
    }

    @Test func aTokenOfAnotherProjectReachesNothingOfP1() async throws {
        let p = try TwoProjects()
        try await p.app.test(.router) { client in
            try await createRa(client)
            for route in Self.routes {
                let (status, body) = try await send(client, route, "t2")
                if route.path == "/api/v1/runs/claim" {
                    // Claims read only the token's project: p2 has nothing available.
                    #expect(status == .ok && body == #"{"runs":[]}"#, "\(body)")
                } else {
                    #expect(status == .forbidden || status == .notFound, "\(route.path) with p2's token: \(status)")
                    // The input's body (`{"secret":"ra"}`) never comes back.
                    #expect(!body.contains("secret"), "\(route.path) leaked: \(body)")
                }
            }
            #expect(try p.store.log.run("r2") == nil)
            #expect(try p.store.log.run("ra")?.state == .available)
        }
    }

    @Test func noTokenAWrongOneAndARevokedOneAre401() async throws {
        let p = try TwoProjects()
        let issued = try p.store.createToken(projectId: "p1", role: .editor, actor: AuditActor(tokenId: nil, name: "test"))
        let expired = try p.store.createToken(
            projectId: "p1", role: .editor, expiresAt: Timestamp(microseconds: Timestamp.now().microseconds - 1),
            actor: AuditActor(tokenId: nil, name: "test"))
        try await p.app.test(.router) { client in
            let route = Self.routes[3]
            #expect(try await send(client, route, nil).0 == .unauthorized)
            #expect(try await send(client, route, "nope").0 == .unauthorized)
            #expect(try await send(client, route, expired.secret).1.contains("expired"))
            try await createRa(client)
            #expect(try await send(client, route, issued.secret).0 == .ok)
            _ = try p.store.revokeToken(issued.token.id, actor: AuditActor(tokenId: nil, name: "test"))
            let (status, body) = try await send(client, route, issued.secret)
            #expect(status == .unauthorized && body.contains("revoked"))
        }
    }

    @Test func thePublishRecordsTheTokenThatMadeIt() async throws {
        let p = try TwoProjects()
        let body = try Fixtures.sampleWorkflowJSON(project: "p1", workflowId: P.workflowA)
            .replacingOccurrences(of: "Daily report", with: "Daily report, renamed")
        try await p.app.test(.router) { client in
            let status = try await client.execute(uri: "/api/v1/workflows/\(P.workflowA)/publish", method: .post,
                headers: P.auth("t1"), body: ByteBuffer(string: body)) { $0.status }
            #expect(status == .ok)
        }
        let last = try #require(try p.store.audit(workflowId: P.workflowA).last)
        let t1 = try #require(try p.store.log.tokens(projectId: "p1").first { $0.token.name == "t1" }?.token)
        #expect(last.action == "workflow:published" && last.actor == AuditActor(t1))
        #expect(last.detail == "lock_version 2")
    }

    @Test func theSyncSocketAdmitsOnlyEditorsOfTheDocumentsProject() async throws {
        let p = try TwoProjects()
        let app = makeApplication(store: p.store, configuration: ServerConfiguration(port: 0, runScheduler: false))
        try await app.test(.live) { client in
            func opens(_ token: String) async -> Bool {
                let configuration = WebSocketClientConfiguration(additionalHeaders: P.auth(token))
                do {
                    try await client.ws("/api/v1/workflows/\(P.workflowA)/sync", configuration: configuration) { inbound, _, _ in
                        // The server's step 1 arrives first once admitted.
                        for try await _ in inbound { break }
                    }
                    return true
                } catch {
                    return false
                }
            }
            #expect(await opens("t1"))
            #expect(await !opens("t2"), "another project's editor")
            #expect(await !opens("w1"), "a worker of the project")
            #expect(await !opens("v1"), "a viewer of the project")
            #expect(await !opens("nope"))
        }
    }
}
