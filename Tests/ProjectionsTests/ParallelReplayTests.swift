import EventLog
import LMDB
import TestSupport
import Testing

@testable import Projections

/// A replay batch runs detached projectors on a second thread: a failure on
/// either thread must fail the rebuild (never hang it, never switch to half
/// a replay), and a detached projector must never reach the writer.
@Suite struct ParallelReplayTests {
    struct Boom: Error, Equatable { let sequence: UInt64 }

    /// Records the runs it sees in a deferred table, and throws from the
    /// first event at or after `failAt` it is handed.
    struct Tripwire: Projector {
        let name = "tripwire"
        let version: UInt32 = 1
        let tables = ["seen"]
        let kinds = EventKinds(.runCreated)
        let detachedKinds = EventKinds(.runCreated)
        let failAt: UInt64?

        func apply(_ event: EventView, _ context: ProjectionContext) throws {
            if let failAt, event.sequence >= failAt { throw Boom(sequence: failAt) }
            guard case .runCreated(let e) = event.fields else { return }
            context.putAtEndOfBatch(0, e.runId.bytes, [])
        }
    }

    /// Writes straight to its table, which a detached projector may not.
    struct Trespasser: Projector {
        let name = "trespasser"
        let version: UInt32 = 1
        let tables = ["t"]
        let kinds = EventKinds(.runCreated)
        let detachedKinds = EventKinds(.runCreated)  // a false promise

        func apply(_ event: EventView, _ context: ProjectionContext) throws {
            try context.put(0, [1], [])
        }
    }

    func log(runs: Int) throws -> LogFixture {
        let f = try LogFixture()
        for r in 0..<runs { try f.run("r\(r)") }
        return f
    }

    @Test func aFailureOnTheDetachedThreadFailsTheRebuild() throws {
        let f = try log(runs: 50)
        let failAt = try f.log.lastSequence() - 7
        // The cron index stays on the writer's thread; the runs projection
        // and the tripwire replay on the second one.
        let engine = try ProjectionEngine(log: f.log, projectors: [CronIndexProjector(), RunsProjector(), Tripwire(failAt: nil)])
        let live = try engine.status()
        let failing = try ProjectionEngine(
            log: f.log, projectors: [CronIndexProjector(), RunsProjector(), Tripwire(failAt: failAt)])
        failing.parallelReplay = true
        #expect(throws: Boom(sequence: failAt)) { try failing.rebuild() }
        // Nothing switched: the live slots and checkpoints are as they were.
        #expect(try engine.status() == live)
        // And the same engine replays fine once the projector behaves.
        engine.parallelReplay = true
        try engine.rebuild()
        #expect(try engine.verify().isEmpty)
    }

    @Test func aDetachedProjectorThatWritesIsRefused() throws {
        let f = try log(runs: 5)
        let engine = try ProjectionEngine(log: f.log, projectors: [CronIndexProjector(), Trespasser()])
        engine.parallelReplay = true
        #expect {
            try engine.rebuild()
        } throws: { error in
            guard case ProjectionError.detachedWrite = error else { return false }
            return true
        }
        engine.parallelReplay = false
        try engine.rebuild()  // on the writer's thread the write is fine
    }
}
