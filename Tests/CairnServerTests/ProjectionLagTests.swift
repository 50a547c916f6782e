import CairnKit
import EventLog
import Foundation
import Hummingbird
import HummingbirdTesting
import LMDB
import Testing

/// Events that committed are acknowledged even when the projections cannot
/// follow: the answer says what the log did, and the lag shows in
/// `/healthz` until a later catch-up succeeds (issue #17, item 14).
@Suite struct ProjectionLagTests {
    typealias P = TwoProjects

    /// Damages run `runId`'s record in the runs projection, so the next
    /// catch-up touching it fails.
    static func damageRunRecord(_ store: Store, _ runId: String) throws {
        let slot = try #require(try store.projections.engine.status().first { $0.name == "runs" }).slot
        let table = try store.environment.database("proj.runs.runs.\(slot)")
        try store.environment.write { txn in try txn.put(table, key: Array(runId.utf8), value: [0xFF]) }
    }

    @Test func aCommittedEventIsAcknowledgedWhenTheCatchUpFails() async throws {
        let p = try TwoProjects()
        try await p.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/runs", method: .post, headers: P.auth("t1"),
                body: ByteBuffer(string: P.create("r1", workflow: P.workflowA, input: "in1"))) { response throws in
                #expect(response.status == .created)
            }
            try Self.damageRunRecord(p.store, "r1")
            let claim = #"{"event":"run:claimed","id":"11111111-1111-4111-8111-111111111111","payload":{"worker_name":"w"}}"#
            for expected in ["appended", "duplicate"] {
                try await client.execute(uri: "/api/v1/runs/r1/events", method: .post, headers: P.auth("t1"), body: ByteBuffer(string: claim)) {
                    response throws in
                    #expect(response.status == .ok)
                    #expect((try P.json(response.body) as? [String: Any])?["status"] as? String == expected)
                }
            }
            try await client.execute(uri: "/healthz", method: .get) { response throws in
                let health = try P.json(response.body) as? [String: Any]
                #expect(health?["status"] as? String == "degraded")
                #expect((health?["projection_error"] as? String)?.contains("run record") == true)
            }
        }
        let head = try p.store.log.lastSequence()
        #expect(try p.store.log.stream("run:r1").count == 2)
        #expect(try p.store.projections.engine.positions()["runs"].map { $0 < head } == true)
        #expect(p.store.projectionLag != nil)
    }

    /// The lag clears at the next catch-up that succeeds.
    @Test func theLagClearsOnceTheProjectionsCatchUp() async throws {
        let p = try TwoProjects()
        _ = try p.store.append([Submission(id: .random(), command: .createRun(CreateRun(
            runId: "r1", workflowId: P.workflowA, input: NewDataclip(type: .global, body: Array("{}".utf8)))))])
        try Self.damageRunRecord(p.store, "r1")
        let outcomes = try await p.store.submit([Submission(id: .random(), command: .claimRun(runId: "r1", workerName: "w", timestamp: nil))])
        #expect(outcomes.count == 1)
        if case .appended = outcomes[0] {} else { Issue.record("expected appended, got \(outcomes[0])") }
        #expect(p.store.projectionLag != nil)
        // The synchronous path (the CLI, publishing) answers the same way.
        let started = try p.store.append([Submission(id: .random(), command: .startRun(runId: "r1", timestamp: nil))])
        if case .appended = started[0] {} else { Issue.record("expected appended, got \(started[0])") }
        #expect(p.store.projectionLag != nil)
        // Repaired (here by a rebuild): the next submit's catch-up clears it.
        try p.store.projections.engine.rebuild()
        _ = try await p.store.submit([Submission(id: .random(), command: .markLost(runId: "r1", timestamp: nil))])
        #expect(p.store.projectionLag == nil)
        #expect(try p.store.projections.run("r1")?.state == .lost)
    }

    /// Session 26: the scheduler catches up by itself, and its catch-ups
    /// neither set nor cleared the lag: an idle service, whose only writes
    /// are its ticks, said ok with its projections stuck, or degraded after
    /// they had caught up, until a request wrote.
    @Test func aTicksCatchUpSetsAndClearsTheLag() async throws {
        let p = try TwoProjects()
        _ = try p.store.append([Submission(id: .random(), command: .createRun(CreateRun(
            runId: "r1", workflowId: P.workflowA, input: NewDataclip(type: .global, body: Array("{}".utf8)))))])
        try Self.damageRunRecord(p.store, "r1")
        // Appended past the store, as another process's write would be: the tick's catch-up meets it.
        _ = try p.store.log.append([Submission(id: .random(), command: .claimRun(runId: "r1", workerName: "w", timestamp: nil))])
        #expect(p.store.projectionLag == nil)
        let minute = Date(timeIntervalSince1970: 1_900_000_000)
        #expect(throws: (any Error).self) { try p.store.scheduler().tick(at: minute) }
        #expect(p.store.projectionLag?.contains("run record") == true)
        try p.store.projections.engine.rebuild()
        let tick = try p.store.scheduler().tick(at: minute)
        #expect(tick.failures.isEmpty)
        #expect(p.store.projectionLag == nil)
    }
}
