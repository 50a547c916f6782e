import EventLog
import Foundation
import Scheduler
import TestSupport
import Testing

/// The crash test's simulated clock: processes given the same three values
/// agree on the time, and the tick loop waits real time, not simulated.
@Suite struct SchedulerClockTests {
    static let now = SchedulerTests.parseTime("2026-12-05T06:00:00Z")

    @Test func itReadsItsThreeFieldsAndRefusesAnythingElse() throws {
        let real = Self.now.timeIntervalSince1970
        let clock = try SchedulerClock.parse("2100-01-01T00:00:00Z \(real + 0.5) 30", now: Self.now)
        #expect(clock.simulatedStart == SchedulerTests.parseTime("2100-01-01T00:00:00Z"))
        #expect(clock.realStart == Date(timeIntervalSince1970: real + 0.5))
        #expect(clock.speed == 30)
        let malformed = [
            "", "2100-01-01T00:00:00Z \(real)", "2100-01-01 \(real) 30", "2100-01-01T00:00:00Z now 30",
            "2100-01-01T00:00:00+05:00 \(real) 30", "2100-01-01T00:00:00Z 1e9 30", "2100-01-01T00:00:00Z \(real) nan",
            "2100-01-01T00:00:00Z -5 30",
        ]
        for bad in malformed {
            #expect(throws: SchedulerClockError.self, "\(bad)") { try SchedulerClock.parse(bad, now: Self.now) }
        }
        // Read, but refused: too slow or too fast; a real start far from
        // now (a year ahead at 60x would overflow a minute's microseconds
        // within decades); a simulated time a folder might one day see for
        // real (its cron runs would take those minutes' ids).
        let outOfRange = [
            "2100-01-01T00:00:00Z \(real) 0.5", "2100-01-01T00:00:00Z \(real) 61", "2100-01-01T00:00:00Z \(real) 3600",
            "2100-01-01T00:00:00Z \(real + 90_000) 30", "2100-01-01T00:00:00Z 10000000000000 30",
            "2026-12-05T06:00:00Z \(real) 30", "2070-01-01T00:00:00Z \(real) 30", "9500-01-01T00:00:00Z \(real) 30",
        ]
        for bad in outOfRange {
            #expect(throws: SchedulerClockError.self, "\(bad)") { try SchedulerClock.parse(bad, now: Self.now) }
            do { _ = try SchedulerClock.parse(bad, now: Self.now) } catch { #expect(error.description.contains("refused"), "\(bad): \(error)") }
        }
    }

    @Test func simulatedTimeRunsSpeedTimesFasterFromItsStart() throws {
        let realStart = Date().addingTimeInterval(-10)
        let start = SchedulerTests.parseTime("2100-01-01T00:00:00Z")
        let clock = try SchedulerClock(simulatedStart: start, realStart: realStart, speed: 60)
        let elapsed = clock.now().timeIntervalSince(start)
        // Ten real seconds (and the few microseconds since) are ten simulated minutes.
        #expect(elapsed >= 600 && elapsed < 660, "\(elapsed)")
        #expect(SchedulerClock.wall.isWall && abs(SchedulerClock.wall.now().timeIntervalSinceNow) < 5)
    }

    /// A time beyond year 9999 is a thrown error, not a trap in the minute's arithmetic.
    @Test func aTickBeyondYear9999IsRefused() throws {
        let w = try SchedulerTests.World([SchedulerTests.cron("often", "* * * * *")])
        for seconds in [1e13, -1e13, .infinity, .nan] {
            #expect(throws: SchedulerError.self, "\(seconds)") { try w.scheduler().tick(at: Date(timeIntervalSince1970: seconds)) }
        }
    }

    /// At 60 times the wall clock a minute passes in a second: the loop
    /// ticks minute after minute, each once, rather than waiting a real
    /// minute between them. (Faster, a busy machine would leave gaps longer
    /// than the scheduler's five-minute grace, which are downtime by design.)
    @Test func theLoopTicksEverySimulatedMinute() async throws {
        let w = try SchedulerTests.World([SchedulerTests.cron("often", "* * * * *")])
        let began = Date()
        let clock = try SchedulerClock(simulatedStart: SchedulerTests.parseTime("2100-03-01T06:00:00Z"), realStart: began, speed: 60)
        let scheduler = w.scheduler()
        let loop = Task { await scheduler.run(clock: clock) }
        let ticked = try await eventually(within: .seconds(30)) { try w.projections.runs(ofWorkflow: "w1").count >= 3 }
        loop.cancel()
        await loop.value
        #expect(ticked, "three simulated minutes within 30 real seconds")
        // A cron run's id is derived from its trigger and minute: map them
        // back over every minute the clock has passed.
        let start = Timestamp(SchedulerTests.parseTime("2100-03-01T06:00:00Z")).microseconds
        let passed = Int(Date().timeIntervalSince(began)) + 2
        var minuteOf: [String: Int] = [:]
        for m in 0...passed { minuteOf[UUID.derived(["cron-run", "often", String(start + Int64(m) * 60_000_000)]).lowercasedString] = m }
        let minutes = try w.projections.runs(ofWorkflow: "w1").map { minuteOf[$0.runId] }
        #expect(minutes.allSatisfy { $0 != nil }, "every run is for a minute the clock passed")
        let found = minutes.compactMap { $0 }.sorted()
        #expect(found == Array((found.first ?? 0)...(found.last ?? -1)), "consecutive minutes, each once: \(found)")
    }
}
