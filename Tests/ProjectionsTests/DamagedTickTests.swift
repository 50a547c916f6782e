import EventLog
import Projections
import TestSupport
import Testing

/// Session 23's review: the cron index turned a tick's minute, or the
/// horizon it left, into the next fire's microseconds with a trapping
/// multiplication. A stored minute is any 64-bit value once read back (a
/// damaged event, or one appended through the API, which does not bound
/// it), and a trap there stopped every catch-up and rebuild of the folder.
@Suite struct DamagedTickTests {
    /// Past 2^63 - 1 once its next whole minute is written in microseconds.
    static let lastMinutes = Timestamp(microseconds: Int64.max - 1)

    @Test func aTickNearTheEndOfTimeLeavesTheTriggerWithNoNextFire() throws {
        let f = try LogFixture()
        let projections = try Projections(log: f.log)
        try projections.catchUp()
        #expect(try projections.triggersDue(by: Timestamp(microseconds: .max)).map(\.trigger.id) == ["t1"])

        try f.expectAppended(.tick(minute: Self.lastMinutes))
        try projections.catchUp()
        #expect(try projections.triggersDue(by: Timestamp(microseconds: .max)).isEmpty)

        // A publish after it starts from that horizon: the same.
        try f.expectAppended(.publishWorkflow(f.publishRequest(content: "v2")))
        try projections.catchUp()
        #expect(try projections.triggersDue(by: Timestamp(microseconds: .max)).isEmpty)

        // Replay agrees with what was applied as it came.
        try projections.engine.rebuild()
        #expect(try projections.engine.verify().isEmpty)
        #expect(try projections.triggersDue(by: Timestamp(microseconds: .max)).isEmpty)
    }
}
