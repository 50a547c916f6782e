import EventLog
import Foundation
import Projections
@testable import Scheduler
import TestSupport
import Testing

/// Issue #17 (9): a tick that comes after its minute (a long write, a VM
/// pause, a clock step) must not drop the minutes it skipped.
@Suite struct LateTickTests {
    typealias World = SchedulerTests.World

    static func time(_ iso: String) -> Date { SchedulerTests.parseTime(iso) }

    @Test func aLateTickOwesTheMinuteItSkipped() throws {
        let w = try World([SchedulerTests.cron("daily", "1 6 * * *"), SchedulerTests.cron("often", "* * * * *")])
        let scheduler = w.scheduler()
        #expect(try scheduler.tick(at: Self.time("2026-03-01T06:00:00Z")).created.map(\.triggerId) == ["often"])
        // The next tick comes only at 06:02:30: 06:01 is owed to both.
        let late = try scheduler.tick(at: Self.time("2026-03-01T06:02:30Z")).created
        let owed = late.map { "\($0.triggerId)@\($0.scheduledFor.date)" }.sorted()
        #expect(owed == [
            "daily@\(Self.time("2026-03-01T06:01:00Z"))", "often@\(Self.time("2026-03-01T06:01:00Z"))",
            "often@\(Self.time("2026-03-01T06:02:00Z"))",
        ])
        // Still exactly once: ticking again, here or in another scheduler, creates nothing.
        let head = try w.f.log.lastSequence()
        #expect(try scheduler.tick(at: Self.time("2026-03-01T06:02:30Z")).created.isEmpty)
        #expect(try w.scheduler().tick(at: Self.time("2026-03-01T06:02:00Z")).created.isEmpty)
        #expect(try w.scheduler().tick(at: Self.time("2026-03-01T06:01:00Z")).created.isEmpty)
        #expect(try w.f.log.lastSequence() == head)
        #expect(try w.projections.runs(ofWorkflow: "w1").count == 4)
    }

    /// A scheduler that did not tick the previous minute itself (a restart,
    /// `cairn schedule tick` from cron) goes by the log's horizon.
    @Test func aFreshSchedulerOwesTheMinutesSinceTheRecordedTick() throws {
        let w = try World([SchedulerTests.cron("often", "* * * * *")])
        #expect(try w.tick("2026-03-01T06:00:00Z").count == 1)
        let owed = try w.tick("2026-03-01T06:03:10Z").map(\.scheduledFor).sorted()
        #expect(owed == ["06:01", "06:02", "06:03"].map { Timestamp(Self.time("2026-03-01T\($0):00Z")) })
    }

    /// Session 26: a clock far in the past (saturated to `Timestamp.min`)
    /// gives a trigger an effective-since whose whole second does not fit
    /// in 64-bit microseconds. A late tick looks just before it: that
    /// trapped (the record's reader refused such a time until then).
    @Test func aTriggerFromTheClocksFarEdgeIsOwedItsMinutes() throws {
        let w = try World([SchedulerTests.cron("often", "* * * * *")], publishedAt: Date(timeIntervalSince1970: -1e13))
        try w.projections.catchUp()
        let since = try #require(try w.projections.trigger("often")).effectiveSince.microseconds
        #expect(since < -9_223_372_036_854_000_000, "\(since)")
        let scheduler = w.scheduler()
        #expect(try scheduler.tick(at: Self.time("2026-03-01T06:00:00Z")).created.count == 1)
        let late = try scheduler.tick(at: Self.time("2026-03-01T06:02:30Z")).created.map(\.scheduledFor)
        #expect(late == ["06:01", "06:02"].map { Timestamp(Self.time("2026-03-01T\($0):00Z")) })
        #expect(Scheduler.justBefore(Timestamp(microseconds: .min)) == Timestamp(microseconds: .min))
        #expect(Scheduler.justBefore(Timestamp(microseconds: 60_000_000)) == Timestamp(microseconds: 59_000_000))
        #expect(Scheduler.justBefore(Timestamp(microseconds: -1)) == Timestamp(microseconds: -1_000_000))
    }

    /// Beyond the grace it is downtime: the rule of docs/semantics.md, at most one catch-up
    /// run per trigger, and only inside the catch-up window.
    @Test func beyondTheGraceItIsDowntime() throws {
        let w = try World([SchedulerTests.cron("often", "* * * * *")])
        let scheduler = w.scheduler()
        #expect(try scheduler.tick(at: Self.time("2026-03-01T06:00:00Z")).created.count == 1)
        let afterDowntime = try scheduler.tick(at: Self.time("2026-03-01T06:06:00Z")).created
        #expect(afterDowntime.map(\.scheduledFor) == [Timestamp(Self.time("2026-03-01T06:06:00Z"))])
        // A grace of zero: a late tick is downtime too.
        let v = try World([SchedulerTests.cron("daily", "1 6 * * *")])
        let strict = Scheduler(log: v.f.log, projections: v.projections, lateTickGrace: 0)
        _ = try strict.tick(at: Self.time("2026-03-01T06:00:00Z"))
        #expect(try strict.tick(at: Self.time("2026-03-01T06:02:30Z")).created.isEmpty)
    }

    /// Issue #17 review (1): a trigger published at 06:02:30, after ticks
    /// that had nothing due, is owed no minute from before it existed, by a
    /// restarted scheduler (`cairn schedule tick`) or by the one that ticked.
    @Test func aLateTickOwesNothingFromBeforeTheTriggerExisted() throws {
        let w = try World([SchedulerTests.cron("hourly", "0 * * * *")])
        let scheduler = w.scheduler()
        #expect(try scheduler.tick(at: Self.time("2026-03-01T06:00:00Z")).created.count == 1)
        #expect(try scheduler.tick(at: Self.time("2026-03-01T06:01:00Z")).created.isEmpty)
        #expect(try scheduler.tick(at: Self.time("2026-03-01T06:02:00Z")).created.isEmpty)
        try w.publish([SchedulerTests.cron("hourly", "0 * * * *"), SchedulerTests.cron("often", "* * * * *")], at: "2026-03-01T06:02:30Z")
        let restarted = try w.tick("2026-03-01T06:03:10Z").map(\.scheduledFor)
        #expect(restarted == [Timestamp(Self.time("2026-03-01T06:03:00Z"))])
        // An edit takes effect at its publish too: the new expression owes nothing before it.
        try w.publish([SchedulerTests.cron("hourly", "0 * * * *"), SchedulerTests.cron("often", "*/2 * * * *")], at: "2026-03-01T06:04:30Z")
        let afterEdit = try w.tick("2026-03-01T06:06:10Z").map(\.scheduledFor)
        #expect(afterEdit == [Timestamp(Self.time("2026-03-01T06:06:00Z"))])
        // A publish that leaves the schedule alone does not move its start:
        // the minutes since the previous tick are still owed.
        try w.publish([SchedulerTests.cron("hourly", "0 * * * *"), SchedulerTests.cron("often", "*/2 * * * *")], at: "2026-03-01T06:09:30Z")
        let unchanged = try w.tick("2026-03-01T06:10:10Z").map(\.scheduledFor).sorted()
        #expect(unchanged == ["06:08", "06:10"].map { Timestamp(Self.time("2026-03-01T\($0):00Z")) })
    }

    /// Issue #17 review (2): on a folder never ticked, the index's next fire
    /// of a new trigger is right after the epoch; a late tick must not step
    /// from there (29.6 million steps for a minute trigger): it owes the
    /// minutes since the previous tick and the trigger's publish, once each.
    @Test func aLateTickOnAFolderNeverTickedDoesNotStepFromTheEpoch() throws {
        let w = try World([])
        let scheduler = w.scheduler()
        // Nothing due: nothing recorded, the log keeps no horizon.
        #expect(try scheduler.tick(at: Self.time("2026-03-01T06:00:00Z")).created.isEmpty)
        #expect(try w.projections.schedulerHorizon() == nil)
        try w.publish([SchedulerTests.cron("often", "* * * * *")], at: "2026-03-01T06:00:20Z")
        let owed = try scheduler.tick(at: Self.time("2026-03-01T06:02:05Z")).created.map(\.scheduledFor).sorted()
        #expect(owed == ["06:01", "06:02"].map { Timestamp(Self.time("2026-03-01T\($0):00Z")) })
    }

    /// The loop: ticks run on a thread of their own, not on Swift's pool,
    /// and a tick that ends in a later minute is followed at once by the
    /// next (06:01's), not at the next boundary (06:02).
    @Test func theLoopTicksOnItsOwnThreadAndAtOnceAfterALateTick() async throws {
        let w = try World([SchedulerTests.cron("daily", "1 6 * * *")])
        let projections = w.projections
        // The first tick (06:00) ends at 06:01:30; from then on time stands still.
        let clock = ScriptedClock([Self.time("2026-03-01T06:00:00Z")], then: Self.time("2026-03-01T06:01:30Z"))
        let threads = Names()
        let scheduler = Scheduler(
            log: w.f.log, projections: projections,
            resolveInput: { id in
                threads.add(Scheduler.currentThreadName)
                return try projections.nextCronInput(id)
            })
        let loop = Task { await scheduler.run(now: { clock.now() }) }
        // The run for 06:01 is created at once, not 30 seconds later.
        var runs: [RunAggregate] = []
        _ = try await eventually {
            runs = try projections.runs(ofWorkflow: "w1")
            return !runs.isEmpty
        }
        loop.cancel()
        await loop.value
        let minute = Timestamp(Self.time("2026-03-01T06:01:00Z"))
        let expected = UUID.derived(["cron-run", "daily", String(minute.microseconds)]).lowercasedString
        #expect(runs.map(\.runId) == [expected], "the run for 06:01")
        #expect(threads.all == ["cairn-scheduler"])
    }
}

/// Hands out `script` in turn, then `then` for ever.
final class ScriptedClock: @unchecked Sendable {
    private let lock = NSLock()
    private var script: [Date]
    private let then: Date

    init(_ script: [Date], then: Date) {
        self.script = script
        self.then = then
    }

    func now() -> Date { lock.withLock { script.isEmpty ? then : script.removeFirst() } }
}

final class Names: @unchecked Sendable {
    private let lock = NSLock()
    private var names: [String] = []
    func add(_ name: String) { lock.withLock { names.append(name) } }
    var all: [String] { lock.withLock { names } }
}
