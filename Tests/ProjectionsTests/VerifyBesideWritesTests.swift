import EventLog
import Foundation
import TestSupport
import Testing

@testable import LMDB
@testable import Projections

/// `rebuild --verify` beside a running service: its comparison reads every
/// projection table, and must not hold the writer the service's appends and
/// ticks wait for (docs/operations.md, "Projections").
@Suite struct VerifyBesideWritesTests {
    /// A log of `runs` runs and its projections.
    static func world(runs: Int) throws -> (LogFixture, Projections, ProjectionEngine) {
        let f = try LogFixture()
        for r in 0..<runs { try f.run("r\(r)") }
        let projections = try Projections(log: f.log)
        return (f, projections, projections.engine)
    }

    /// An append and its catch-up made while `verify` compares: neither
    /// waits for it (made from the comparing thread itself, a write held
    /// there would be refused as nested), and the comparison, made in a
    /// transaction that does not see them, finds no difference.
    @Test func theComparisonHoldsNoWriter() throws {
        let (f, projections, engine) = try Self.world(runs: 5)
        nonisolated(unsafe) var appended = false
        engine.verifyObserver = { step in
            guard step == .comparing, !appended else { return }
            appended = true
            try f.run("late")
            try engine.catchUp()
        }
        #expect(try engine.verify().isEmpty)
        #expect(appended)
        #expect(try projections.run("late") != nil)
        // The next verify sees the late run in both.
        engine.verifyObserver = nil
        #expect(try engine.verify().isEmpty)
    }

    /// The live projections move on between the replay's catch-up and the
    /// comparison: the replay is brought up to them again before anything
    /// is compared, and the comparison still catches damage.
    @Test func liveProjectionsThatMovedOnAreComparedAgain() throws {
        let (f, projections, engine) = try Self.world(runs: 5)
        let table = try engine.table(projections.runs, RunsProjector.runs)
        try f.environment.write { txn in try txn.put(table, key: Array("ghost".utf8), value: [0]) }
        nonisolated(unsafe) var caughtUp = 0
        nonisolated(unsafe) var compared = 0
        engine.verifyObserver = { step in
            switch step {
            case .replayCaughtUp:
                caughtUp += 1
                // Another process appends and catches up right after the
                // replay caught up: the comparison's state is ahead of it.
                if caughtUp == 1 {
                    try f.run("late1")
                    try engine.catchUp()
                }
            case .comparing:
                compared += 1
            }
        }
        let differences = try engine.verify()
        #expect(differences.map(\.key) == [Array("ghost".utf8)])
        #expect(caughtUp == 2)
        #expect(compared == 1)
    }

    /// Another process takes the claim over during the comparison (it
    /// judged this one exited), finishes and switches to its replay: the
    /// slot this verify replayed into is live now. Its end finds the claim
    /// gone and clears nothing; the live projections still answer.
    /// With `replaced`, the claim left is this process's but another
    /// rebuild's (one begun here after the takeover): not this verify's.
    @Test(arguments: [false, true])
    func aClaimTakenOverDuringTheComparisonClearsNothing(replaced: Bool) throws {
        let (f, projections, engine) = try Self.world(runs: 3)
        let checkpoints = try f.environment.database("checkpoints")
        engine.verifyObserver = { step in
            guard step == .comparing else { return }
            try f.environment.write { txn in
                let key = RebuildClaim.key("runs")
                guard replaced, var other = try txn.get(checkpoints, key: key).flatMap(RebuildClaim.init) else {
                    _ = try txn.delete(checkpoints, key: key)
                    return
                }
                other.claimedAt = Timestamp(microseconds: other.claimedAt.microseconds - 1)
                try txn.put(checkpoints, key: key, value: other.bytes)
            }
        }
        #expect(throws: RebuildClaimLost(projection: "runs")) { try engine.verify() }
        let live = try f.environment.read { txn in
            try txn.get(checkpoints, key: Array("runs".utf8)).flatMap(ProjectionEngine.Checkpoint.init)?.slot
        }
        let replayed = try engine.handles(projections.runs, slot: 1 - (live ?? 0))[RunsProjector.runs]
        #expect(try f.environment.read { txn in try txn.statistics(replayed).entries } == 3)
        #expect(try projections.run("r1") != nil)
    }

    /// After `compareAttempts` tries the comparison holds the writer (as
    /// before): an append from inside it is refused as a nested write.
    @Test func theLastResortHoldsTheWriter() throws {
        let (f, _, engine) = try Self.world(runs: 3)
        engine.compareAttempts = 0
        engine.verifyObserver = { step in if step == .comparing { try f.run("late") } }
        #expect(throws: LMDBError.nestedWrite) { try engine.verify() }
        engine.verifyObserver = nil
        #expect(try engine.verify().isEmpty)
    }
}
