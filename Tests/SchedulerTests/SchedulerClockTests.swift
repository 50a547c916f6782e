import EventLog
import Foundation
import Scheduler
import TestSupport
import Testing

/// The crash test's simulated clock: processes given the same three values
/// agree on the time, and the tick loop waits real time, not simulated.
@Suite struct SchedulerClockTests {
    @Test func itReadsItsThreeFieldsAndRefusesAnythingElse() throws {
        let clock = try SchedulerClock.parse("2030-01-01T00:00:00Z 1800000000.5 120")
        #expect(clock.simulatedStart == SchedulerTests.parseTime("2030-01-01T00:00:00Z"))
        #expect(clock.realStart == Date(timeIntervalSince1970: 1_800_000_000.5))
        #expect(clock.speed == 120)
        for bad in ["", "2030-01-01T00:00:00Z 1800000000", "2030-01-01 1800000000 120", "2030-01-01T00:00:00Z now 120",
                    "2030-01-01T00:00:00Z 1800000000 0.5", "2030-01-01T00:00:00Z 1800000000 4000",
                    "2030-01-01T00:00:00Z 1800000000 nan", "2030-01-01T00:00:00Z -5 60"] {
            #expect(throws: SchedulerClockError.self, "\(bad)") { try SchedulerClock.parse(bad) }
        }
    }

    @Test func simulatedTimeRunsSpeedTimesFasterFromItsStart() {
        let realStart = Date().addingTimeInterval(-10)
        let clock = SchedulerClock(simulatedStart: SchedulerTests.parseTime("2030-01-01T00:00:00Z"), realStart: realStart, speed: 60)
        let elapsed = clock.now().timeIntervalSince(SchedulerTests.parseTime("2030-01-01T00:00:00Z"))
        // Ten real seconds (and the few microseconds since) are ten simulated minutes.
        #expect(elapsed >= 600 && elapsed < 660, "\(elapsed)")
        #expect(SchedulerClock.wall.isWall && abs(SchedulerClock.wall.now().timeIntervalSinceNow) < 5)
    }

    /// At 60 times the wall clock a minute passes in a second: the loop
    /// ticks minute after minute, each once, rather than waiting a real
    /// minute between them. (Faster, a busy machine would leave gaps longer
    /// than the scheduler's five-minute grace, which are downtime by design.)
    @Test func theLoopTicksEverySimulatedMinute() async throws {
        let w = try SchedulerTests.World([SchedulerTests.cron("often", "* * * * *")])
        let began = Date()
        let clock = SchedulerClock(simulatedStart: SchedulerTests.parseTime("2026-03-01T06:00:00Z"), realStart: began, speed: 60)
        let scheduler = w.scheduler()
        let loop = Task { await scheduler.run(clock: clock) }
        let ticked = try await eventually(within: .seconds(30)) { try w.projections.runs(ofWorkflow: "w1").count >= 3 }
        loop.cancel()
        await loop.value
        #expect(ticked, "three simulated minutes within 30 real seconds")
        // A cron run's id is derived from its trigger and minute: map them
        // back over every minute the clock has passed.
        let start = Timestamp(SchedulerTests.parseTime("2026-03-01T06:00:00Z")).microseconds
        let passed = Int(Date().timeIntervalSince(began)) + 2
        var minuteOf: [String: Int] = [:]
        for m in 0...passed { minuteOf[UUID.derived(["cron-run", "often", String(start + Int64(m) * 60_000_000)]).lowercasedString] = m }
        let minutes = try w.projections.runs(ofWorkflow: "w1").map { minuteOf[$0.runId] }
        #expect(minutes.allSatisfy { $0 != nil }, "every run is for a minute the clock passed")
        let found = minutes.compactMap { $0 }.sorted()
        #expect(found == Array((found.first ?? 0)...(found.last ?? -1)), "consecutive minutes, each once: \(found)")
    }
}
