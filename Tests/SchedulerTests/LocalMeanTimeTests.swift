import EventLog
import Foundation
import Projections
import Scheduler
import TestSupport
import Testing

/// Finding 29 end to end: where a zone's offset carries seconds (local mean
/// time, Monrovia's -0:44:30 until 1972), a local minute fires at the first
/// whole UTC minute inside it (docs/semantics.md). The schedule's own tests
/// show the rounding; these show the scheduler ticks that minute, exactly
/// once, and that the cron index does not step past it.
@Suite struct LocalMeanTimeTests {
    typealias World = SchedulerTests.World

    static func time(_ iso: String) -> Date { SchedulerTests.parseTime(iso) }

    static func monrovia(_ expression: String) -> TriggerSummary {
        TriggerSummary(id: "lmt", type: "cron", enabled: true, cronExpression: expression, timezone: "Africa/Monrovia")
    }

    @Test func theZoneStillHasItsLocalMeanTimeOffset() throws {
        let zone = try #require(TimeZone(identifier: "Africa/Monrovia"))
        #expect(zone.secondsFromGMT(for: Self.time("1971-01-01T12:00:00Z")) == -2_670)
    }

    @Test func aLocalMinuteWithASecondsOffsetIsTickedOnceOnItsWholeUTCMinute() throws {
        // Local 00:02 is 00:46:30Z: it fires at 00:47Z, the first UTC minute inside it.
        let w = try World([Self.monrovia("2 0 * * *")], publishedAt: Self.time("1970-12-31T12:00:00Z"))
        #expect(try w.tick("1971-01-01T00:46:00Z").isEmpty)
        let fired = try w.tick("1971-01-01T00:47:00Z")
        #expect(fired.map(\.scheduledFor) == [Timestamp(Self.time("1971-01-01T00:47:00Z"))])
        #expect(fired.map(\.triggerId) == ["lmt"])
        // Exactly once: the same minute again, and the minutes after it, create nothing.
        #expect(try w.tick("1971-01-01T00:47:00Z").isEmpty)
        #expect(try w.tick("1971-01-01T00:48:00Z").isEmpty)
        // The index moved to the next local day's fire, not past it.
        let nextDay = try w.tick("1971-01-02T00:47:00Z")
        #expect(nextDay.map(\.scheduledFor) == [Timestamp(Self.time("1971-01-02T00:47:00Z"))])
        #expect(try w.projections.runs(ofWorkflow: "w1").count == 2)
    }

    @Test func aLateTickOwesTheRoundedMinute() throws {
        let w = try World([Self.monrovia("2 0 * * *")], publishedAt: Self.time("1970-12-31T12:00:00Z"))
        let scheduler = w.scheduler()
        #expect(try scheduler.tick(at: Self.time("1971-01-01T00:46:00Z")).created.isEmpty)
        // The tick of 00:47 never comes; the one at 00:48:30 owes it.
        let late = try scheduler.tick(at: Self.time("1971-01-01T00:48:30Z")).created
        #expect(late.map(\.scheduledFor) == [Timestamp(Self.time("1971-01-01T00:47:00Z"))])
    }
}
