import Foundation
import TestSupport
import Testing

@testable import Cron

@Suite struct CronExpressionTests {
    @Test(arguments: [
        ("60 * * * *", CronField.minute), ("* 24 * * *", .hour), ("* * 0 * *", .dayOfMonth),
        ("* * 32 * *", .dayOfMonth), ("* * * 13 *", .month), ("* * * * 8", .dayOfWeek),
        ("*/0 * * * *", .minute), ("a * * * *", .minute), ("* * * foo *", .month), ("* * * * funday", .dayOfWeek),
        ("1,,2 * * * *", .minute), ("1-2-3 * * * *", .minute), ("* * * jan-13 *", .month), ("* * * * mon/x", .dayOfWeek),
    ])
    func errorsNameTheField(_ expr: String, _ field: CronField) {
        do {
            _ = try CronExpression(expr)
            Issue.record("'\(expr)' was accepted")
        } catch {
            #expect(error.field == field, "\(error)")
            #expect(error.description.hasPrefix(field.name))
        }
    }

    @Test func shapeErrors() {
        #expect(throws: CronError.empty) { try CronExpression("  ") }
        #expect(throws: CronError.wrongFieldCount(found: 4)) { try CronExpression("* * * *") }
        #expect(throws: CronError.wrongFieldCount(found: 6)) { try CronExpression("0 * * * * *") }
        #expect(throws: CronError.unknownMacro("@every_minute")) { try CronExpression("@every_minute") }
    }

    @Test func namesAndMacrosInAnyCase() throws {
        #expect(try CronExpression("0 0 * JAN,jul *").months.members == [1, 7])
        #expect(try CronExpression("0 0 * * Mon-FRI").daysOfWeek.members == [1, 2, 3, 4, 5])
        #expect(try CronExpression("0 0 * * 7").daysOfWeek.members == [0])
        #expect(try CronExpression("@WEEKLY").daysOfWeek.members == [0])
        #expect(try CronExpression("@hourly").minutes.members == [0])
        // The macros differ only in their text: every parsed field is the same.
        let yearly = try CronExpression("@yearly")
        let annually = try CronExpression("@annually")
        #expect(yearly.source == "@yearly" && annually.source == "@annually")
        #expect(yearly.sameSchedule(as: annually))
        #expect(yearly.sameSchedule(as: try CronExpression("0 0 1 1 *")))
        #expect(!yearly.sameSchedule(as: try CronExpression("0 0 1 2 *")))
    }

    @Test func neverFiringExpressionsAreDetected() throws {
        #expect(try !CronExpression("0 0 30 2 *").canFire())
        #expect(try !CronExpression("0 0 31 4,6,9,11 *").canFire())
        #expect(try CronExpression("0 0 29 2 *").canFire())
        // OR with a weekday rescues an impossible day of month...
        #expect(try CronExpression("0 0 30 2 1").canFire(dayMatch: .any))
        // ...but AND does not.
        #expect(try !CronExpression("0 0 30 2 1").canFire(dayMatch: .all))
    }

    /// `cron_day_match: "all"`, the reference platform's reading, hand-checked.
    @Test func allDayMatchFiresOnlyOnFridayThe13th() throws {
        let all = try CronSchedule("0 0 13 * 5", dayMatch: .all)
        let fires = all.next(3, after: parseISO("2026-01-01T00:00:00Z"))
        // Fridays the 13th: 2026-02-13, 2026-03-13, 2026-11-13.
        #expect(fires == ["2026-02-13T00:00:00Z", "2026-03-13T00:00:00Z", "2026-11-13T00:00:00Z"].map(parseISO))
        let any = try CronSchedule("0 0 13 * 5", dayMatch: .any)
        // Either: Friday 2 Jan, Friday 9 Jan, Tuesday 13 Jan.
        #expect(any.next(3, after: parseISO("2026-01-01T00:00:00Z"))
            == ["2026-01-02T00:00:00Z", "2026-01-09T00:00:00Z", "2026-01-13T00:00:00Z"].map(parseISO))
        // With one day field unrestricted the two readings agree.
        let weekdays = try CronSchedule("0 9 * * 1-5", dayMatch: .all)
        #expect(weekdays.next(5, after: parseISO("2026-01-01T00:00:00Z"))
            == (try CronSchedule("0 9 * * 1-5")).next(5, after: parseISO("2026-01-01T00:00:00Z")))
    }

    /// Nth weekdays under `all` (croniter has no AND reading to check against),
    /// hand-checked: the dates that are both.
    @Test func nthWeekdaysUnderAllMatchTheDatesThatAreBoth() throws {
        let start = parseISO("2026-01-01T00:00:00Z")
        // Every second Friday falls on the 8th to the 14th...
        let second = try CronSchedule("0 0 8-14 * FRI#2", dayMatch: .all)
        #expect(second.next(3, after: start) == ["2026-01-09T00:00:00Z", "2026-02-13T00:00:00Z", "2026-03-13T00:00:00Z"].map(parseISO))
        // ...so never on the 1st to the 7th.
        #expect(try !CronExpression("0 0 1-7 * 5#2").canFire(dayMatch: .all))
        // The last Friday that is also the last day of its month: 2026-07-31, 2027-04-30.
        let last = try CronSchedule("0 0 L * L5", dayMatch: .all)
        #expect(last.next(2, after: start) == ["2026-07-31T00:00:00Z", "2027-04-30T00:00:00Z"].map(parseISO))
        // Plain days and nth weekdays in one field are refused, naming the field.
        #expect(throws: CronError.self) { try CronExpression("0 0 * * 1,5#2") }
        #expect((try? CronExpression("0 0 * * 5#6")) == nil)
    }

    /// Field jumping against a minute-by-minute oracle on random expressions.
    @Test func nextAndPreviousAgreeWithBruteForce() throws {
        var rng = SplitMix64(seed: 2026)
        func pick(_ field: CronField) -> String {
            let b = field.bounds
            switch rng.next() % 5 {
            case 0: return "*"
            case 1: return "\(Int.random(in: b, using: &rng))"
            case 2:
                let low = Int.random(in: b, using: &rng)
                return "\(low)-\(Int.random(in: low...b.upperBound, using: &rng))"
            case 3: return "*/\(Int.random(in: 1...max(1, b.count / 2), using: &rng))"
            default:
                return (0..<3).map { _ in "\(Int.random(in: b, using: &rng))" }.joined(separator: ",")
            }
        }
        for _ in 0..<150 {
            let expr = CronField.allCases.map(pick).joined(separator: " ")
            let schedule = try CronSchedule(expr, dayMatch: rng.next() % 2 == 0 ? .any : .all)
            guard schedule.canFire else { continue }
            let start = Int64(1_700_000_000 + Int(rng.next() % 50_000_000))
            guard let fast = schedule.nextSecond(after: start) else {
                Issue.record("\(expr) can fire but next is nil")
                continue
            }
            // The oracle: every minute between start and fast must not fire.
            var minute = start.floorDiv(60) * 60 + 60
            var brute: Int64?
            while minute <= fast {
                if schedule.expression.matches(CivilMinute(epochSeconds: minute), schedule.dayMatch) {
                    brute = minute
                    break
                }
                minute += 60
            }
            #expect(brute == fast, "\(expr) after \(start)")
            #expect(schedule.previousSecond(before: fast + 1) == fast, "\(expr)")
        }
    }
}

extension CronExpression {
    func matches(_ t: CivilMinute, _ dayMatch: DayMatch) -> Bool {
        minutes.contains(t.minute) && hours.contains(t.hour) && months.contains(t.month) && dayMatches(t, dayMatch)
    }

    /// Whether `other` fires at the same minutes: every parsed field equal,
    /// the source text aside (`==` compares it too).
    func sameSchedule(as other: CronExpression) -> Bool {
        minutes == other.minutes && hours == other.hours && daysOfMonth == other.daysOfMonth && months == other.months
            && daysOfWeek == other.daysOfWeek && dayOfMonthRestricted == other.dayOfMonthRestricted
            && dayOfWeekRestricted == other.dayOfWeekRestricted && dayRules == other.dayRules
    }
}
