import CairnKit
import Dispatch
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
        let readers = SlotTaker(p.store.environment, slots)
        p.store.observeGroupCommits { _ in readers.takeAllOnce() }
        defer { readers.release() }
        let (status, body) = try await app.test(.router) { client in
            try await client.execute(uri: "/i/\(WebhookTests.webhook)", method: .post, body: ByteBuffer(string: "{}")) {
                ($0.status, String(buffer: $0.body))
            }
        }
        #expect(readers.took, "the test never took the reader slots")
        readers.release()
        try await p.store.catchUpProjections()  // its catch-up after the commit found no reader slot either
        let runs = try p.store.projections.runs(ofWorkflow: P.workflowA)
        #expect(runs.count == 1)
        let runId = try #require(runs.first?.runId)
        // before_start: 201 with the id; after_completion: 504 naming it (its run never finishes here).
        #expect(status == (reply == "before_start" ? .created : .gatewayTimeout), "\(status) \(body)")
        #expect(body.contains(runId), "the answer does not name the run it created: \(status) \(body)")
    }

    /// Takes every reader slot of an environment on threads of its own, once,
    /// until released (which returns once they are free again).
    final class SlotTaker: @unchecked Sendable {
        private let environment: LMDB.Environment
        private let slots: Int
        private let lock = NSLock()
        private var taken = false
        private let holding = DispatchSemaphore(value: 0)
        private let releasing = DispatchSemaphore(value: 0)
        private let ended = DispatchGroup()
        private var released = false
        private var holders = 0

        init(_ environment: LMDB.Environment, _ slots: Int) {
            self.environment = environment
            self.slots = slots
        }

        /// Whether every slot was taken.
        var took: Bool { lock.withLock { taken && holders == slots } }

        func takeAllOnce() {
            let first = lock.withLock {
                defer { taken = true }
                return !taken
            }
            guard first else { return }
            for _ in 0..<slots {
                ended.enter()
                Thread { [self] in
                    // Another reader (the log index's timed flush) may hold a
                    // slot a moment: ask again rather than never signal, which
                    // would leave the committer, and the suite, waiting.
                    var held = false
                    for _ in 0..<5_000 where !held {
                        do {
                            try environment.read { _ in
                                held = true
                                lock.withLock { holders += 1 }
                                holding.signal()
                                releasing.wait()
                            }
                        } catch {
                            usleep(1_000)
                        }
                    }
                    if !held { holding.signal() }
                    ended.leave()
                }.start()
            }
            for _ in 0..<slots { holding.wait() }
        }

        func release() {
            let first = lock.withLock {
                defer { released = true }
                return taken && !released
            }
            guard first else { return }
            for _ in 0..<slots { releasing.signal() }
            ended.wait()
        }
    }
}
