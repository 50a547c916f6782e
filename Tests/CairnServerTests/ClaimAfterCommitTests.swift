import CairnKit
import EventLog
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// A claim that committed is answered, whatever happens after the commit:
/// the projections failing to follow must not turn it into a 500, nor show
/// the claimed run as still available (review of issue #17, R5).
@Suite struct ClaimAfterCommitTests {
    typealias P = TwoProjects

    @Test func committedClaimsAreAnsweredFromTheLogWhenTheProjectionsLag() async throws {
        let p = try TwoProjects()
        try await p.app.test(.router) { client in
            for (run, token, workflow) in [("r1", "t1", P.workflowA), ("r2", "t1", P.workflowA), ("x1", "t2", P.workflowB)] {
                try await client.execute(uri: "/api/v1/runs", method: .post, headers: P.auth(token),
                    body: ByteBuffer(string: P.create(run, workflow: workflow, input: "in-\(run)"))) { response throws in
                    #expect(response.status == .created)
                }
            }
            // Another project's run is damaged in the projection and has an
            // event waiting there: every catch-up from now on stops at it, so
            // the projection keeps showing r1 and r2 as they were.
            try ProjectionLagTests.damageRunRecord(p.store, "x1")
            _ = try await p.store.log.submit([Submission(id: .random(), command: .claimRun(runId: "x1", workerName: "w", timestamp: nil))])
            try await client.execute(uri: "/api/v1/runs/claim", method: .post, headers: P.auth("t1"),
                body: ByteBuffer(string: #"{"worker_name":"w","demand":2}"#)) { response throws in
                #expect(response.status == .ok)
                let runs = (try? P.json(response.body) as? [String: Any])?["runs"] as? [[String: Any]] ?? []
                #expect(runs.compactMap { $0["id"] as? String } == ["r1", "r2"])
                #expect(runs.map { $0["state"] as? String } == ["claimed", "claimed"])
                #expect(runs.allSatisfy { $0["claimed_at"] is String })
            }
        }
        #expect(p.store.projectionLag != nil)
        for run in ["r1", "r2"] { #expect(try p.store.log.run(run)?.state == .claimed) }
    }
}
