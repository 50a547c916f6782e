import CairnKit
import EventLog
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOConcurrencyHelpers
import TestSupport
import Testing
import Workflows
import YDoc

@testable import CairnServer

/// What the cold review of the tokens work found (docs/http.md, "Tokens and roles").
@Suite struct ReviewFindingsTests {
    typealias P = TwoProjects

    /// An open API (no token in the store) answers only direct requests
    /// from this machine: not a browser's (Origin), not a proxy's
    /// (Forwarded), not one naming another host, and not one carrying a
    /// bearer token, whose sender believes it authenticates.
    @Test func anOpenAPIRefusesWhatDoesNotComeDirectlyFromThisMachine() async throws {
        let folder = TemporaryFolder()
        let store = try Store(path: folder.path)
        _ = try store.publish(try WorkflowJSONDecoding.decode(Fixtures.sampleWorkflowJSON(project: "p1", workflowId: P.workflowA)))
        let app = Application(router: makeRouter(store: store, configuration: ServerConfiguration(runScheduler: false)))
        try await app.test(.router) { client async throws in
            func status(_ headers: HTTPFields) async throws -> HTTPResponse.Status {
                try await client.execute(uri: "/api/v1/runs/claim", method: .post, headers: headers, body: ByteBuffer(string: "{}")) { $0.status }
            }
            #expect(try await status([:]) == .ok)
            // A Host naming another machine (a proxy, a rebinding DNS name) is read from the authority.
            #expect(Authorization.hostName("evil.example:4000") == "evil.example")
            #expect(Authorization.hostName("[::1]:4000") == "::1" && Authorization.hostName("localhost") == "localhost")
            #expect(!ServerConfiguration.isLoopback("evil.example") && ServerConfiguration.isLoopback("127.0.0.1"))
            #expect(try await status([.origin: "http://evil.example"]) == .forbidden)
            #expect(try await status([.init("x-forwarded-for")!: "203.0.113.9"]) == .forbidden)
            #expect(try await status([.authorization: "Bearer whatever"]) == .unauthorized)
        }
    }

    @Test func aRevokedTokenLosesItsOpenSocket() async throws {
        let p = try TwoProjects()
        let issued = try p.store.createToken(projectId: "p1", role: .editor, actor: AuditActor(tokenId: nil, name: "test"))
        let hub = DocumentHub(store: p.store)
        let closed = NIOLockedValueBox(false)
        let (connection, _) = try await hub.join(P.workflowA, project: "p1", tokenId: issued.token.id) { _ in } close: {
            closed.withLockedValue { $0 = true }
        }
        await hub.poll()
        #expect(!closed.withLockedValue { $0 })
        _ = try p.store.revokeToken(issued.token.id, actor: AuditActor(tokenId: nil, name: "test"))
        // A frame from it is refused...
        await #expect(throws: DocumentAccessError.self) {
            _ = try await hub.receive(P.workflowA, from: connection, SyncMessage.step1(stateVector: [0]).encoded())
        }
        // ...and a quiet one is closed at the next poll.
        let (quiet, _) = try await hub.join(P.workflowA, project: "p1", tokenId: "tok_gone") { _ in } close: {
            closed.withLockedValue { $0 = true }
        }
        _ = quiet
        await hub.poll()
        // Closed on a task of its own (the hub never waits for a socket).
        #expect(await eventually { closed.withLockedValue { $0 } })
    }

    @Test func aShutdownAnswersAWaitingWebhookWithItsRun() async throws {
        let p = try TwoProjects()
        try WebhookTests.republish(p, reply: "after_completion")
        let draining = Draining()
        let app = Application(router: makeRouter(store: p.store, configuration: p.configuration, draining: draining))
        try await app.test(.router) { client in
            async let answer = client.execute(uri: "/i/\(WebhookTests.webhook)", method: .post, body: ByteBuffer(string: "{}")) {
                ($0.status, String(buffer: $0.body))
            }
            // Once the request waits for its run:
            _ = try await WebhookTests.webhookRun(p)
            try await Task.sleep(for: .milliseconds(150))
            draining.begin()
            let (status, body) = try await answer
            #expect(status == .serviceUnavailable)
            let runId = try #require(((try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any])?["run_id"] as? String, "\(body)")
            #expect(try p.store.log.run(runId) != nil)
        }
    }
}
