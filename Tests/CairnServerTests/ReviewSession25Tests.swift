import CairnKit
import Foundation
import Hummingbird
import HummingbirdTesting
import LMDB
import TestSupport
import Testing

@testable import CairnServer

/// Session 25's cold review of the service: each test is a defect found,
/// seen failing before its fix (docs/reliability.md, "Session 25 review").
@Suite struct ReviewSession25Tests {
    typealias P = TwoProjects

    /// DEFECT (a run created twice): a webhook request read its trigger's
    /// reply mode, then polled its run and read its final dataclip, all
    /// after the run was stored and with a plain `try`. A read that failed
    /// there (every reader slot taken, an I/O error) answered 503 "busy,
    /// the client may retry" without the run's id, while the run went
    /// ahead: a caller retrying made a second run. Here every reader slot
    /// is taken the moment the run's commit returns.
    @Test(arguments: ["before_start", "after_completion"])
    func aWebhookWhoseRunWasStoredAnswersWithItsId(reply: String) async throws {
        let slots = 8
        let p = try TwoProjects(options: LMDB.Environment.Options(maxReaders: slots))
        try WebhookTests.republish(p, reply: reply)
        let configuration = ServerConfiguration(port: 0, runScheduler: false, webhookReplyTimeout: .seconds(1))
        let app = makeApplication(store: p.store, configuration: configuration)
        // After the application: its metrics observe the commits too, and the last observer set is the one called.
        let readers = ReaderSlots(p.store.environment, slots)
        p.store.observeGroupCommits { _ in readers.take() }
        defer { readers.release() }
        let (status, body) = try await app.test(.router) { client in
            try await client.execute(uri: "/i/\(WebhookTests.webhook)", method: .post, body: ByteBuffer(string: "{}")) {
                ($0.status, String(buffer: $0.body))
            }
        }
        #expect(readers.tookAll, "the test never took the reader slots")
        readers.release()
        try await p.store.catchUpProjections()  // its catch-up after the commit found no reader slot either
        let runs = try p.store.projections.runs(ofWorkflow: P.workflowA)
        #expect(runs.count == 1)
        let runId = try #require(runs.first?.runId)
        // before_start: 201 with the id; after_completion: 504 naming it (its run never finishes here).
        #expect(status == (reply == "before_start" ? .created : .gatewayTimeout), "\(status) \(body)")
        #expect(body.contains(runId), "the answer does not name the run it created: \(status) \(body)")
    }
}
