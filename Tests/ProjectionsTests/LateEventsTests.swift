import LMDB
import TestSupport
import Testing

@testable import EventLog
@testable import Projections

/// The runs projection writes a run out as soon as it is final (the log
/// refuses every later event that would change it). A log written before
/// that rule may still hold such an event: replay must then give exactly
/// what applying the events one batch at a time gives.
@Suite struct LateEventsTests {
    @Test func aReplayIsExactWhenTheLogHoldsAnEventAfterARunsFinalState() throws {
        let f = try LogFixture()
        let projections = try Projections(log: f.log)
        projections.engine.batchSize = 1  // incremental: every event its own batch
        try f.run("r1")
        try f.accept("run:complete", #"{"run_id":"r1","reason":"success"}"#)
        try f.run("r2")
        // Written straight into the log, as an older, looser log might hold it.
        let head = try f.log.lastSequence()
        let late = RecordedEvent(
            id: .random(), sequence: head + 1, streamVersion: 9,
            recordedAt: Timestamp(microseconds: 5), event: .stepStarted(StepStarted(
                runId: "r1", stepId: "late", jobId: "j1", inputDataclipId: nil, timestamp: Timestamp(microseconds: 5))))
        let events = try f.environment.database("events")
        try f.environment.write { txn in
            try txn.put(events, key: (head + 1).bigEndianBytes, value: EventCodec.encode(late), flags: .append)
        }
        try projections.catchUp()
        #expect(try projections.run("r1")?.steps.map(\.id) == ["late"])
        // A replay takes all of it in one transaction, r1 written out when it
        // completed, and still ends where the incremental projection did.
        // On two threads, the runs projection replays on the second one,
        // which cannot read r1 back before its deferred write is made: it
        // hands the projection to the writer's thread at the late event.
        projections.engine.parallelReplay = true
        #expect(try projections.engine.verify().isEmpty)
        projections.engine.parallelReplay = false
        #expect(try projections.engine.verify().isEmpty)
        projections.engine.parallelReplay = true
        try projections.engine.rebuild()
        #expect(try projections.run("r1")?.steps.map(\.id) == ["late"])
        #expect(try projections.run("r1")?.state == .success)
    }
}
