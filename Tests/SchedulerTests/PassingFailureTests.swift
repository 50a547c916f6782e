import EventLog
import Foundation
import LMDB
import Projections
import TestSupport
import Testing

@testable import Scheduler

/// Session 26's review: a fire whose planning failed was reported, yet the
/// tick was recorded and the cron index moved past it, so a read that
/// failed for a moment (every reader slot taken under load, an I/O error)
/// cost a daily trigger its day. Such a fire is now owed to the next tick;
/// a failure of the trigger itself is still reported once and passed.
@Suite struct PassingFailureTests {
    typealias World = SchedulerTests.World

    static func time(_ iso: String) -> Date { SchedulerTests.parseTime(iso) }

    /// A scheduler whose input resolution for `failing` throws `error` the first `times` calls.
    static func scheduler(
        _ w: World, failing: Set<String>, with error: any Error, times: Int, failures: FailureLog,
        memory: TickMemory = .none, catchUpWindow: TimeInterval = 0
    ) -> Scheduler {
        let projections = w.projections
        let countdowns = Dictionary(uniqueKeysWithValues: failing.map { ($0, Countdown(times)) })
        return Scheduler(
            log: w.f.log, projections: projections, catchUpWindow: catchUpWindow, report: { failures.add($0) },
            resolveInput: { id in
                if let countdown = countdowns[id], countdown.take() { throw error }
                return try projections.nextCronInput(id)
            },
            memory: memory)
    }

    static func made(_ tick: Scheduler.Tick) -> [String] {
        tick.created.map { "\($0.triggerId)@\($0.scheduledFor.iso8601)" }.sorted()
    }

    /// The folder's memory of the last minute ticked, as `Store.tickMemory` keeps it: the later one wins.
    final class Remembered: @unchecked Sendable {
        private let lock = NSLock()
        private var minute: Timestamp?
        var memory: TickMemory {
            TickMemory(
                recall: { self.lock.withLock { self.minute } },
                remember: { new in self.lock.withLock { self.minute = max(self.minute ?? new, new) } })
        }
    }

    final class Countdown: @unchecked Sendable {
        private let lock = NSLock()
        private var left: Int
        init(_ count: Int) { left = count }
        /// Whether any is left, taking one.
        func take() -> Bool {
            lock.withLock {
                guard left > 0 else { return false }
                left -= 1
                return true
            }
        }
    }

    @Test(arguments: [LMDBError.readersFull, .system(EIO), .mapResized, .panic])
    func aFireMetByAPassingFailureIsCreatedAtTheNextTick(error: LMDBError) throws {
        let w = try World([SchedulerTests.cron("daily", "0 6 * * *"), SchedulerTests.cron("often", "* * * * *")])
        let failures = FailureLog()
        let scheduler = Self.scheduler(w, failing: ["daily"], with: error, times: 1, failures: failures)
        let first = try scheduler.tick(at: Self.time("2026-03-01T06:00:00Z"))
        #expect(first.created.map(\.triggerId) == ["often"])
        #expect(first.failures.map(\.triggerId) == ["daily"])
        #expect(failures.all.first?.reason.contains("tried again") == true)
        // The next minute owes 06:00 to `daily`; `often`'s 06:00 is not made twice.
        let next = try scheduler.tick(at: Self.time("2026-03-01T06:01:00Z"))
        #expect(Self.made(next) == ["daily@2026-03-01T06:00:00Z", "often@2026-03-01T06:01:00Z"])
        #expect(next.failures.isEmpty)
        let runs = try w.projections.runs(ofWorkflow: "w1")
        #expect(runs.count == 3)
        // Exactly once, from here on and for another scheduler.
        #expect(try w.tick("2026-03-01T06:01:00Z").isEmpty)
        #expect(try w.tick("2026-03-01T06:00:00Z").isEmpty)
        #expect(try w.projections.runs(ofWorkflow: "w1").count == 3)
    }

    /// The tick after downtime is not late: the failed fire is owed all the same.
    @Test func aFireFailedAfterDowntimeIsOwed() throws {
        let w = try World([SchedulerTests.cron("daily", "0 6 * * *"), SchedulerTests.cron("hourly", "0 * * * *")])
        let scheduler = Self.scheduler(w, failing: ["daily"], with: LMDBError.readersFull, times: 1, failures: FailureLog())
        #expect(try Self.made(scheduler.tick(at: Self.time("2026-03-01T05:00:00Z"))) == ["hourly@2026-03-01T05:00:00Z"])
        // An hour without ticks; 06:00's daily fire fails for a moment.
        #expect(try Self.made(scheduler.tick(at: Self.time("2026-03-01T06:00:00Z"))) == ["hourly@2026-03-01T06:00:00Z"])
        #expect(try Self.made(scheduler.tick(at: Self.time("2026-03-01T06:01:00Z"))) == ["daily@2026-03-01T06:00:00Z"])
    }

    /// The grace counts from the failed fire, not from the last tick that
    /// went well: a late tick's owed fire that fails is still owed a minute on.
    @Test func theGraceCountsFromTheFailedFire() throws {
        let w = try World([SchedulerTests.cron("daily", "58 5 * * *")])
        let scheduler = Self.scheduler(w, failing: ["daily"], with: LMDBError.readersFull, times: 1, failures: FailureLog())
        #expect(try scheduler.tick(at: Self.time("2026-03-01T05:55:00Z")).created.isEmpty)
        // 06:00 comes five minutes late and owes 05:58, which fails.
        #expect(try scheduler.tick(at: Self.time("2026-03-01T06:00:00Z")).failures.map(\.triggerId) == ["daily"])
        // 06:01 is six minutes after 05:55, but four after 05:57, the minute before the failed fire.
        #expect(try Self.made(scheduler.tick(at: Self.time("2026-03-01T06:01:00Z"))) == ["daily@2026-03-01T05:58:00Z"])
    }

    /// Two fires of one late tick fail: the earlier is owed as well as the later.
    @Test func theEarliestFailedFireIsOwed() throws {
        let w = try World([SchedulerTests.cron("x", "58 5 * * *"), SchedulerTests.cron("z", "59 5 * * *")])
        let scheduler = Self.scheduler(w, failing: ["x", "z"], with: LMDBError.readersFull, times: 1, failures: FailureLog())
        #expect(try scheduler.tick(at: Self.time("2026-03-01T05:57:00Z")).created.isEmpty)
        #expect(try scheduler.tick(at: Self.time("2026-03-01T06:00:00Z")).failures.map(\.triggerId).sorted() == ["x", "z"])
        #expect(try Self.made(scheduler.tick(at: Self.time("2026-03-01T06:01:00Z")))
            == ["x@2026-03-01T05:58:00Z", "z@2026-03-01T05:59:00Z"])
    }

    /// A catch-up fire after downtime that fails is looked for again by the
    /// next tick's catch-up: the previous tick does not move to it, which
    /// would make the next tick late and owe every trigger the downtime's
    /// minutes (a review of the first version found exactly that).
    @Test func aFailedCatchUpFireOwesNoDowntimeMinutes() throws {
        let w = try World([SchedulerTests.cron("x", "2 6 * * *"), SchedulerTests.cron("y", "* * * * *")])
        let scheduler = Self.scheduler(
            w, failing: ["x"], with: LMDBError.readersFull, times: 1, failures: FailureLog(), catchUpWindow: 600)
        #expect(try Self.made(scheduler.tick(at: Self.time("2026-03-01T05:50:00Z"))) == ["y@2026-03-01T05:50:00Z"])
        // Down until 06:04: x's 06:02 is a catch-up, and fails for a moment.
        let after = try scheduler.tick(at: Self.time("2026-03-01T06:04:00Z"))
        #expect(Self.made(after) == ["y@2026-03-01T06:04:00Z"])
        #expect(after.failures.map(\.triggerId) == ["x"])
        #expect(after.failures.first?.reason.contains("looked for again at the next tick, within the window") == true)
        #expect(try Self.made(scheduler.tick(at: Self.time("2026-03-01T06:05:00Z")))
            == ["x@2026-03-01T06:02:00Z", "y@2026-03-01T06:05:00Z"])
        #expect(try w.projections.runs(ofWorkflow: "w1").count == 4)
    }

    /// `cairn schedule tick` runs a fresh scheduler each minute, with only the
    /// folder's memory: a folder's first tick that fails is owed by the next process.
    @Test func aFreshSchedulerOwesTheFireThroughTheFoldersMemory() throws {
        let w = try World([SchedulerTests.cron("daily", "0 6 * * *")])
        let remembered = Remembered()
        let first = Self.scheduler(w, failing: ["daily"], with: LMDBError.readersFull, times: 1, failures: FailureLog(), memory: remembered.memory)
        #expect(try first.tick(at: Self.time("2026-03-01T06:00:00Z")).created.isEmpty)
        let second = Self.scheduler(w, failing: ["daily"], with: LMDBError.readersFull, times: 0, failures: FailureLog(), memory: remembered.memory)
        #expect(try Self.made(second.tick(at: Self.time("2026-03-01T06:01:00Z"))) == ["daily@2026-03-01T06:00:00Z"])
    }

    /// An operator's tick of a minute already past the horizon records
    /// nothing and retries nothing: its failure does not say it will be.
    @Test func aReRunOfAPastMinuteDoesNotPromiseARetry() throws {
        let w = try World([SchedulerTests.cron("daily", "0 6 * * *"), SchedulerTests.cron("often", "* * * * *")])
        _ = try w.tick("2026-03-01T06:05:00Z")
        let failures = FailureLog()
        let scheduler = Self.scheduler(w, failing: ["daily"], with: LMDBError.readersFull, times: 1, failures: failures)
        #expect(try scheduler.tick(at: Self.time("2026-03-01T06:00:00Z")).failures.map(\.triggerId) == ["daily"])
        #expect(failures.all.first?.reason.contains("tried again") == false)
    }

    /// A failure of the trigger itself (here, not a storage error) would fail
    /// again at every retry: it is reported and its minute passed, as before.
    @Test func aFailureOfTheTriggerItselfIsNotRetried() throws {
        struct Damaged: Error {}
        let w = try World([SchedulerTests.cron("daily", "0 6 * * *"), SchedulerTests.cron("often", "* * * * *")])
        let failures = FailureLog()
        let scheduler = Self.scheduler(w, failing: ["daily"], with: Damaged(), times: 1, failures: failures)
        #expect(try scheduler.tick(at: Self.time("2026-03-01T06:00:00Z")).failures.map(\.triggerId) == ["daily"])
        #expect(failures.all.first?.reason.contains("tried again") == false)
        let next = try scheduler.tick(at: Self.time("2026-03-01T06:01:00Z"))
        #expect(next.created.map(\.triggerId) == ["often"])
    }

    /// Past the late-tick grace it is downtime, as for a tick that failed whole:
    /// a failure that lasts is reported at each tick, not retried for ever.
    @Test func aLastingPassingFailureEndsAsDowntime() throws {
        let w = try World([SchedulerTests.cron("daily", "0 6 * * *")])
        let failures = FailureLog()
        let scheduler = Self.scheduler(w, failing: ["daily"], with: LMDBError.readersFull, times: .max, failures: failures)
        _ = try scheduler.tick(at: Self.time("2026-03-01T05:59:00Z"))
        for minute in 0...4 {
            let tick = try scheduler.tick(at: Self.time("2026-03-01T06:0\(minute):00Z"))
            #expect(tick.created.isEmpty)
            #expect(tick.failures.map(\.triggerId) == ["daily"], "06:0\(minute)")
        }
        // 06:05 is six minutes after 05:59, the last minute ticked: past the
        // five-minute grace, downtime, and 06:00 is no longer owed.
        let afterGrace = try scheduler.tick(at: Self.time("2026-03-01T06:05:00Z"))
        #expect(afterGrace.failures.isEmpty)
        #expect(afterGrace.created.isEmpty)
        #expect(try w.projections.runs(ofWorkflow: "w1").isEmpty)
        // And the index moved on: tomorrow's 06:00 is the next fire.
        let due = try w.projections.triggersDue(by: Timestamp(Self.time("2026-03-02T05:59:00Z")))
        #expect(due.isEmpty)
    }
}
