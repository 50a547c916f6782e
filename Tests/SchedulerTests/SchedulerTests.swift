import EventLog
import Foundation
import JSON
import Projections
import Scheduler
import TestSupport
import Testing

@Suite struct SchedulerTests {
    /// A log with workflow w1 (jobs j1, j2) and whatever triggers a test publishes.
    final class World {
        let f: LogFixture
        let projections: Projections
        /// The log's clock: a millisecond an event from 2026-01-01, before
        /// every minute the tests tick, unless a test sets it.
        let clock = SettableClock(SchedulerTests.parseTime("2026-01-01T00:00:00Z"))
        var publishes = 0

        /// - Parameter publishedAt: the log's clock for the first publish
        ///   (by default 2026-01-01).
        init(_ triggers: [TriggerSummary], publishedAt: Date? = nil) throws {
            let clock = self.clock
            if let publishedAt { clock.set(publishedAt) }
            f = try LogFixture(clock: { clock.next() })
            projections = try Projections(log: f.log)
            try publish(triggers)
        }

        /// Publishes `triggers` with the log's clock at `iso`.
        func publish(_ triggers: [TriggerSummary], at iso: String) throws {
            clock.set(SchedulerTests.parseTime(iso))
            try publish(triggers)
        }

        func publish(_ triggers: [TriggerSummary], deleted: Bool = false) throws {
            publishes += 1
            try f.expectAppended(.publishWorkflow(f.publishRequest(
                triggers: triggers, deleted: deleted, content: "version \(publishes)")))
        }

        func scheduler(window: TimeInterval = 0, resolve: (@Sendable (String) throws -> CronInput?)? = nil) -> Scheduler {
            Scheduler(log: f.log, projections: projections, catchUpWindow: window, resolveInput: resolve)
        }

        func tick(_ iso: String, window: TimeInterval = 0) throws -> [ScheduledRun] {
            try scheduler(window: window).tick(at: parseTime(iso)).created
        }

        /// A successful run of trigger t1 through job j1 whose output is `output`.
        func succeed(_ runId: String, output: String, finished: Int64) throws {
            try f.accept("run:claimed", #"{"run_id":"\#(runId)"}"#)
            try f.accept("run:start", #"{"run_id":"\#(runId)"}"#)
            try f.accept("step:start", #"{"run_id":"\#(runId)","step_id":"\#(runId)-s","job_id":"j1"}"#)
            try f.accept("step:complete", #"{"run_id":"\#(runId)","step_id":"\#(runId)-s","job_id":"j1","reason":"success","output_dataclip_id":"\#(output)","output_dataclip":"{\"n\":1}","timestamp":\#(finished)}"#)
            try f.accept("run:complete", #"{"run_id":"\#(runId)","reason":"success","final_state":{"j1":{"n":1}},"timestamp":\#(finished + 1)}"#)
            try projections.catchUp()
        }
    }

    static func cron(_ id: String = "t1", _ expression: String = "0 * * * *", cursor: String? = nil, enabled: Bool = true)
        -> TriggerSummary
    {
        TriggerSummary(id: id, type: "cron", enabled: enabled, cronExpression: expression, cronCursorJobId: cursor)
    }

    static func parseTime(_ iso: String) -> Date { ISO8601DateFormatter().date(from: iso)! }

    @Test func neverRanGivesAnEmptyGlobalInput() throws {
        for cursor in [nil, "j1"] {
            let w = try World([Self.cron(cursor: cursor)])
            let runs = try w.tick("2026-03-01T10:00:00Z")
            #expect(runs.count == 1)
            let run = try #require(runs.first)
            #expect(run.source == .empty)
            let input = try #require(try w.f.log.dataclip(run.inputDataclipId))
            #expect(input.type == .global)
            #expect(input.body == Array("{}".utf8))
            let created = try #require(try w.projections.run(run.runId))
            #expect(created.startingTriggerId == "t1")
            #expect(created.inputDataclipId == run.inputDataclipId)
        }
    }

    @Test func ranWithCursorUsesTheJobOutputItself() throws {
        let w = try World([Self.cron(cursor: "j1")])
        let first = try #require(try w.tick("2026-03-01T10:00:00Z").first)
        try w.succeed(first.runId, output: "out-1", finished: 1_000)
        let second = try #require(try w.tick("2026-03-01T11:00:00Z").first)
        #expect(second.source == .jobOutput)
        #expect(second.inputDataclipId == "out-1")  // the same dataclip, not a copy
        #expect(try w.projections.run(second.runId)?.inputDataclipId == "out-1")
    }

    @Test func ranWithoutCursorUsesTheLastFinalState() throws {
        let w = try World([Self.cron()])
        let first = try #require(try w.tick("2026-03-01T10:00:00Z").first)
        try w.succeed(first.runId, output: "out-1", finished: 1_000)
        let final = try #require(try w.projections.run(first.runId)?.finalDataclipId)
        let second = try #require(try w.tick("2026-03-01T11:00:00Z").first)
        #expect(second.source == .finalState)
        #expect(second.inputDataclipId == final)
    }

    @Test func twoTicksOfOneMinuteCreateOneRun() throws {
        let w = try World([Self.cron()])
        #expect(try w.tick("2026-03-01T10:00:00Z").count == 1)
        let head = try w.f.log.lastSequence()
        #expect(try w.tick("2026-03-01T10:00:00Z").isEmpty)
        #expect(try w.tick("2026-03-01T10:00:45Z").isEmpty)
        #expect(try w.f.log.lastSequence() == head)
        // A second scheduler (another process) finds the same ids.
        #expect(try w.scheduler().tick(at: Self.parseTime("2026-03-01T10:00:00Z")).created.isEmpty)
    }

    @Test func aCrashBetweenAppendingAndAcknowledgingCreatesNoDuplicate() throws {
        let w = try World([Self.cron("t1", "* * * * *")])
        // The first tick's events are appended, then the process dies before anyone hears of it.
        let created = try w.tick("2026-03-01T10:00:00Z")
        #expect(created.count == 1)
        // A fresh projections/scheduler pair (the restarted process) ticks the same minute.
        let restarted = Scheduler(log: w.f.log, projections: try Projections(log: w.f.log))
        #expect(try restarted.tick(at: Self.parseTime("2026-03-01T10:00:00Z")).created.isEmpty)
        let runs = try w.projections.runs(ofWorkflow: "w1")
        #expect(runs.count == 1)
    }

    @Test func onlyMatchingMinutesFire() throws {
        let w = try World([Self.cron("t1", "30 10 * * *")])
        #expect(try w.tick("2026-03-01T10:29:00Z").isEmpty)
        #expect(try w.tick("2026-03-01T10:30:00Z").count == 1)
        #expect(try w.tick("2026-03-01T10:31:00Z").isEmpty)
        #expect(try w.tick("2026-03-02T10:30:00Z").count == 1)
    }

    @Test func disabledTriggersAndDeletedWorkflowsDoNotFire() throws {
        let w = try World([Self.cron("t1", "* * * * *", enabled: false), Self.cron("t2", "* * * * *")])
        #expect(try w.tick("2026-03-01T10:00:00Z").map(\.triggerId) == ["t2"])
        try w.publish([Self.cron("t1", "* * * * *", enabled: false), Self.cron("t2", "* * * * *")], deleted: true)
        #expect(try w.tick("2026-03-01T10:01:00Z").isEmpty)
        // Webhook and kafka triggers never fire.
        let v = try World([TriggerSummary(id: "hook", type: "webhook", enabled: true)])
        #expect(try v.tick("2026-03-01T10:00:00Z").isEmpty)
    }

    @Test func aNewSnapshotsExpressionTakesOver() throws {
        let w = try World([Self.cron("t1", "0 * * * *")])
        #expect(try w.tick("2026-03-01T10:00:00Z").count == 1)
        try w.publish([Self.cron("t1", "15 * * * *")])
        #expect(try w.tick("2026-03-01T11:00:00Z").isEmpty)
        #expect(try w.tick("2026-03-01T11:15:00Z").count == 1)
    }

    @Test func afterDowntimeAtMostOneCatchUpRunInsideTheWindow() throws {
        let w = try World([Self.cron("t1", "0 * * * *"), Self.cron("t2", "*/10 * * * *")])
        #expect(try w.tick("2026-03-01T10:00:00Z").count == 2)
        // Down from 10:01 to 13:25: t1 missed 11:00, 12:00, 13:00; t2 missed every ten minutes.
        let none = try w.scheduler().tick(at: Self.parseTime("2026-03-01T13:25:00Z"))
        #expect(none.created.isEmpty)

        let v = try World([Self.cron("t1", "0 * * * *"), Self.cron("t2", "*/10 * * * *")])
        _ = try v.tick("2026-03-01T10:00:00Z")
        let caughtUp = try v.tick("2026-03-01T13:25:00Z", window: 3_600)
        #expect(caughtUp.map(\.triggerId).sorted() == ["t1", "t2"])
        let byTrigger = Dictionary(uniqueKeysWithValues: caughtUp.map { ($0.triggerId, $0.scheduledFor) })
        #expect(byTrigger["t1"] == Timestamp(Self.parseTime("2026-03-01T13:00:00Z")))
        #expect(byTrigger["t2"] == Timestamp(Self.parseTime("2026-03-01T13:20:00Z")))
        // Outside the window: nothing.
        let u = try World([Self.cron("t1", "0 * * * *")])
        _ = try u.tick("2026-03-01T10:00:00Z")
        #expect(try u.tick("2026-03-01T13:25:00Z", window: 600).isEmpty)
    }

    @Test func aFailingTriggerDoesNotStopTheOthers() throws {
        let w = try World([Self.cron("t1", "* * * * *"), Self.cron("t2", "* * * * *"), Self.cron("t3", "* * * * *")])
        let projections = w.projections
        struct Boom: Error {}
        let failures = FailureLog()
        let scheduler = Scheduler(
            log: w.f.log, projections: projections, report: { failures.add($0) },
            resolveInput: { id in
                if id == "t2" { throw Boom() }
                return try projections.nextCronInput(id)
            })
        let tick = try scheduler.tick(at: Self.parseTime("2026-03-01T10:00:00Z"))
        #expect(tick.created.map(\.triggerId).sorted() == ["t1", "t3"])
        #expect(tick.failures.map(\.triggerId) == ["t2"])
        #expect(failures.all.map(\.triggerId) == ["t2"])
        #expect(failures.all.first?.description.contains("w1") == true)
    }

    @Test func aTickTouchesOnlyDueTriggers() throws {
        var triggers = (0..<50).map { Self.cron("daily-\($0)", "0 3 * * *") }
        triggers.append(Self.cron("hourly", "0 * * * *"))
        let w = try World(triggers)
        // First tick: looks at everything once; only the hourly one is due at 10:00.
        #expect(try w.tick("2026-03-01T10:00:00Z").map(\.triggerId) == ["hourly"])
        let due = try w.projections.triggersDue(by: Timestamp(Self.parseTime("2026-03-01T11:00:00Z")))
        #expect(due.map(\.trigger.id) == ["hourly"])
        #expect(try w.tick("2026-03-01T11:00:00Z").map(\.triggerId) == ["hourly"])
    }

    @Test func timeZonesAndDayMatchComeFromTheSnapshot() throws {
        let w = try World([TriggerSummary(
            id: "t1", type: "cron", enabled: true, cronExpression: "0 9 13 * 5", timezone: "Europe/London",
            cronDayMatch: "all")])
        // Friday 13 March 2026, 09:00 London = 09:00 UTC (GMT); Friday 6 March does not fire under "all".
        #expect(try w.tick("2026-03-06T09:00:00Z").isEmpty)
        #expect(try w.tick("2026-03-13T09:00:00Z").count == 1)
        // Friday 13 November 2026, 09:00 London = 09:00 UTC; 08:00 UTC is not it.
        #expect(try w.tick("2026-11-13T08:00:00Z").isEmpty)
    }
}

final class FailureLog: @unchecked Sendable {
    private let lock = NSLock()
    private var failures: [TriggerFailure] = []
    func add(_ f: TriggerFailure) { lock.withLock { failures.append(f) } }
    var all: [TriggerFailure] { lock.withLock { failures } }
}

/// A log clock a test can move; each reading is a millisecond after the last.
final class SettableClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Timestamp

    init(_ start: Date) { current = Timestamp(start) }

    func set(_ date: Date) { lock.withLock { current = Timestamp(date) } }

    func next() -> Timestamp {
        lock.withLock {
            current = Timestamp(microseconds: current.microseconds + 1_000)
            return current
        }
    }
}
