import Foundation
import Testing

@testable import Cron

/// docs/semantics.md: a local time skipped by a jump forward fires once, at the
/// first instant after the gap; a local time that occurs twice fires once, at
/// its first occurrence. Checked on real zone data; the UTC instants were
/// computed independently with Python's zoneinfo.
@Suite struct TimeZoneTests {
    func utc(_ text: String) -> Date { parseISO(text) }

    func fires(_ expr: String, _ zone: String, after start: String, count: Int) throws -> [Date] {
        try CronSchedule(expr, timeZone: zone).next(count, after: utc(start))
    }

    @Test func newYorkSpringForwardFiresAtTheEndOfTheGap() throws {
        // 2024-03-10 02:00 EST jumps to 03:00 EDT (07:00Z): 02:30 does not exist.
        #expect(try fires("30 2 * * *", "America/New_York", after: "2024-03-09T00:00:00Z", count: 3) == [
            utc("2024-03-09T07:30:00Z"), utc("2024-03-10T07:00:00Z"), utc("2024-03-11T06:30:00Z"),
        ])
    }

    @Test func newYorkFallBackFiresOnceAtTheFirstOccurrence() throws {
        // 2024-11-03 02:00 EDT falls back to 01:00 EST (06:00Z): 01:00-01:59 happen twice.
        #expect(try fires("30 1 * * *", "America/New_York", after: "2024-11-02T12:00:00Z", count: 2) == [
            utc("2024-11-03T05:30:00Z"), utc("2024-11-04T06:30:00Z"),
        ])
        #expect(try fires("*/30 * * * *", "America/New_York", after: "2024-11-03T04:45:00Z", count: 4) == [
            utc("2024-11-03T05:00:00Z"), utc("2024-11-03T05:30:00Z"), utc("2024-11-03T07:00:00Z"),
            utc("2024-11-03T07:30:00Z"),
        ])
        // Asking from inside the repeated hour does not fire the repeat.
        #expect(try fires("*/30 * * * *", "America/New_York", after: "2024-11-03T06:10:00Z", count: 1) == [
            utc("2024-11-03T07:00:00Z")
        ])
    }

    @Test func previousIsTheMirrorOfNext() throws {
        let schedule = try CronSchedule("*/30 * * * *", timeZone: "America/New_York")
        #expect(schedule.previous(4, before: utc("2024-11-03T07:15:00Z")) == [
            utc("2024-11-03T07:00:00Z"), utc("2024-11-03T05:30:00Z"), utc("2024-11-03T05:00:00Z"),
            utc("2024-11-03T04:30:00Z"),
        ])
        let gap = try CronSchedule("30 2 * * *", timeZone: "America/New_York")
        #expect(gap.previous(before: utc("2024-03-10T08:00:00Z")) == utc("2024-03-10T07:00:00Z"))
    }

    @Test func londonBothWays() throws {
        // 2024-03-31 01:00 GMT jumps to 02:00 BST (01:00Z).
        #expect(try fires("30 1 * * *", "Europe/London", after: "2024-03-30T12:00:00Z", count: 2) == [
            utc("2024-03-31T01:00:00Z"), utc("2024-04-01T00:30:00Z"),
        ])
        // 2024-10-27 02:00 BST falls back to 01:00 GMT (01:00Z).
        #expect(try fires("30 1 * * *", "Europe/London", after: "2024-10-26T12:00:00Z", count: 2) == [
            utc("2024-10-27T00:30:00Z"), utc("2024-10-28T01:30:00Z"),
        ])
    }

    @Test func lordHoweHalfHourShift() throws {
        // 2024-10-06 02:00 (+10:30) jumps to 02:30 (+11:00) at 2024-10-05T15:30Z.
        #expect(try fires("15 2 * * *", "Australia/Lord_Howe", after: "2024-10-05T00:00:00Z", count: 1) == [
            utc("2024-10-05T15:30:00Z")
        ])
        // 2024-04-07 02:00 (+11:00) falls back to 01:30 (+10:30): 01:45 happens twice.
        #expect(try fires("45 1 * * *", "Australia/Lord_Howe", after: "2024-04-06T00:00:00Z", count: 2) == [
            utc("2024-04-06T14:45:00Z"), utc("2024-04-07T15:15:00Z"),
        ])
    }

    /// Local mean time's offsets carry seconds: Lisbon was -0:36:45 until
    /// 1912, so its 00:02 on 1900-01-01 began at 00:38:45Z. The scheduler
    /// ticks UTC minutes, and a fire off the minute was passed over (no
    /// tick's minute was its own): each fires at the first UTC minute inside
    /// its local minute (the fuzzer's finding, session 25).
    @Test func aLocalMeanTimeOffsetWithSecondsFiresOnAWholeMinute() throws {
        let schedule = try CronSchedule("2 0 * * *", timeZone: "Europe/Lisbon")
        #expect(schedule.timeZone.secondsFromGMT(for: utc("1900-01-01T12:00:00Z")) == -2_205)
        let fires = schedule.next(3, after: utc("1900-01-01T00:00:00Z"))
        #expect(fires == [utc("1900-01-01T00:39:00Z"), utc("1900-01-02T00:39:00Z"), utc("1900-01-03T00:39:00Z")])
        for fire in fires {
            #expect(schedule.fires(atMinuteOf: fire), "\(fire) is a fire, yet its minute is not")
            #expect(schedule.previous(before: fire.addingTimeInterval(1)) == fire)
        }
        // After 1912 the offset is whole (WET, +0): nothing moves.
        #expect(schedule.next(after: utc("2024-01-01T00:00:00Z")) == utc("2024-01-01T00:02:00Z"))
    }

    @Test func unknownZoneIsATypedError() {
        #expect(throws: CronError.unknownTimeZone("Mars/Olympus")) {
            try CronSchedule("* * * * *", timeZone: "Mars/Olympus")
        }
    }
}
