import Foundation
import TestSupport
import Testing

@testable import Cron

func parseISO(_ text: String) -> Date {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    return formatter.date(from: text)!
}

/// The cases croniter 7.0.0 computed (fixtures/cron/): every one must pass.
@Suite struct CroniterCasesTests {
    static let utcCases = (try? CroniterCase.load("cron/croniter-cases.json")) ?? []
    static let zoneCases = (try? CroniterCase.load("cron/croniter-tz-cases.json")) ?? []
    /// `L`, `w#k` and `Lw` (tools/peers/croniter_extension_cases.py).
    static let extensionCases = (try? CroniterCase.load("cron/croniter-extension-cases.json")) ?? []

    @Test func fixturesAreThere() {
        #expect(Self.utcCases.count > 300)
        #expect(Self.zoneCases.count > 20)
        #expect(Self.extensionCases.count > 90)
    }

    @Test(arguments: utcCases + zoneCases + extensionCases)
    func matchesCroniter(_ c: CroniterCase) throws {
        if c.invalid == true {
            #expect(throws: CronError.self) { try CronExpression(c.expr) }
            return
        }
        let schedule = try CronSchedule(c.expr, timeZone: c.tz)
        let start = parseISO(c.start)
        if c.error != nil {
            #expect(!schedule.canFire)
            #expect(schedule.next(after: start) == nil)
            return
        }
        #expect(schedule.canFire)
        if let next = c.next {
            #expect(schedule.next(next.count, after: start) == next.map(parseISO))
        }
        if let prev = c.prev {
            #expect(schedule.previous(prev.count, before: start) == prev.map(parseISO))
        }
    }
}
