import Cron
import EventLog
import Testing

@testable import Projections

/// A trigger's schedule comes from a memo of parsed expressions: it must be
/// exactly what parsing gives, for every part of the key, and stay so when
/// asked again.
@Suite struct ScheduleMemoTests {
    static func record(_ expression: String?, zone: String? = nil, dayMatch: String? = nil, enabled: Bool = true) -> TriggerRecord {
        TriggerRecord(workflowId: "w", projectId: "p", lockVersion: 1, summary: TriggerSummary(
            id: "t", type: "cron", enabled: enabled, cronExpression: expression, cronCursorJobId: nil,
            timezone: zone, cronDayMatch: dayMatch))
    }

    @Test func theMemoGivesWhatParsingGives() throws {
        let cases: [(String, String, DayMatch)] = [
            ("*/5 * * * *", "UTC", .any), ("*/5 * * * *", "Europe/Paris", .any), ("0 9 1 * 1", "UTC", .any),
            ("0 9 1 * 1", "UTC", .all), ("30 2 * * *", "America/New_York", .any),
        ]
        for _ in 0..<2 {  // the second round is served from the memo
            for (expression, zone, dayMatch) in cases {
                let direct = try CronSchedule(expression, timeZone: zone, dayMatch: dayMatch)
                let memo = Self.record(expression, zone: zone, dayMatch: dayMatch.rawValue).schedule
                #expect(memo == direct, "\(expression) in \(zone), \(dayMatch)")
            }
        }
        // Same expression, other zone or day rule: another schedule.
        #expect(Self.record("0 9 1 * 1").schedule != Self.record("0 9 1 * 1", dayMatch: "all").schedule)
        #expect(Self.record("0 9 * * *").schedule != Self.record("0 9 * * *", zone: "Asia/Tokyo").schedule)
    }

    @Test func unusableExpressionsStayUnusable() {
        for _ in 0..<2 {
            #expect(Self.record("not cron").schedule == nil)
            #expect(Self.record("0 0 30 2 *").schedule == nil)  // never fires
            #expect(Self.record("* * * * *", enabled: false).schedule == nil)
            #expect(Self.record(nil).schedule == nil)
        }
    }
}
