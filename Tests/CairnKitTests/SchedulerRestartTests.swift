import CairnKit
import EventLog
import Foundation
import LMDB
import Scheduler
import TestSupport
import Testing
import Workflows

/// The scheduler across restarts and upgrades of a real folder (session
/// 21's cold review; docs/operations.md, "Late ticks"). The sample
/// workflow's cron trigger fires daily at 06:00 UTC.
@Suite struct SchedulerRestartTests {
    static let cron = "c1000000-0000-4000-8000-000000000001"

    static func date(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    /// (run id, minute) of every cron run of the sample's trigger, in log order.
    static func cronRuns(_ store: Store) throws -> [(runId: String, minute: Int64)] {
        try store.log.events(from: 1).compactMap { recorded in
            guard case .runCreated(let e) = recorded.event, e.startingTriggerId == cron, let at = e.scheduledFor else { return nil }
            return (e.runId, at.microseconds)
        }
    }

    /// Makes the folder one from before the run-id salt (as an older cairn left it).
    static func forgetTheSalt(_ store: Store) throws {
        let meta = try store.environment.database("meta")
        try store.environment.write { txn in
            _ = try txn.delete(meta, key: Array("run_id_salt".utf8))
            _ = try txn.delete(meta, key: Array("run_id_salt_since".utf8))
        }
    }

    static func publishedFolder() throws -> TemporaryFolder {
        let folder = TemporaryFolder()
        let store = try Store(path: folder.path)
        _ = try store.publish(try WorkflowOwnershipTests.sample(project: "pa"))
        return folder
    }

    /// Ticks with nothing due record nothing in the log, so a fresh process
    /// took the last *recorded* tick (yesterday's fire) as the previous one:
    /// a restart of a minute across 06:00 was downtime, and the day's run
    /// was skipped without a word. The folder now remembers its last tick.
    @Test func aRestartOfAMinuteAcrossADailyFireStillFiresIt() throws {
        let folder = try Self.publishedFolder()
        do {
            let scheduler = try Store(path: folder.path).scheduler()
            #expect(try scheduler.tick(at: Self.date("2027-03-01T06:00:00Z")).created.count == 1)
            _ = try scheduler.tick(at: Self.date("2027-03-02T05:58:00Z"))
            _ = try scheduler.tick(at: Self.date("2027-03-02T05:59:00Z"))
        }
        // Stopped at 05:59:50, started again at 06:01.
        let store = try Store(path: folder.path)
        let tick = try store.scheduler().tick(at: Self.date("2027-03-02T06:01:02Z"))
        #expect(tick.created.map(\.scheduledFor) == [Timestamp(Self.date("2027-03-02T06:00:00Z"))])
        #expect(try Self.cronRuns(store).count == 2)
    }

    /// What the grace keeps apart: after real downtime (no process ticked
    /// for longer than the grace), a missed fire is skipped, as before,
    /// unless `--catch-up` allows it.
    @Test func downtimeAcrossADailyFireStillSkipsIt() throws {
        let folder = try Self.publishedFolder()
        do {
            let scheduler = try Store(path: folder.path).scheduler()
            _ = try scheduler.tick(at: Self.date("2027-03-01T06:00:00Z"))
            _ = try scheduler.tick(at: Self.date("2027-03-02T05:50:00Z"))
        }
        let store = try Store(path: folder.path)
        #expect(try store.scheduler().tick(at: Self.date("2027-03-02T06:01:02Z")).created.isEmpty)
        #expect(try Self.cronRuns(store).count == 1)
    }

    /// The tick's event id was derived from the minute alone: any token
    /// holder could send an event (a log line of its own run) with the id
    /// of a future minute's tick, and that tick was then a duplicate and
    /// never recorded, freezing the scheduler's horizon. It is salted now.
    @Test func anEventHoldingTheUnsaltedIdOfATickDoesNotStopItBeingRecorded() throws {
        let folder = try Self.publishedFolder()
        let store = try Store(path: folder.path)
        let minute = Timestamp(Self.date("2027-03-02T06:00:00Z"))
        let squatted = EventID.derived("schedule:ticked", String(minute.microseconds))
        let squat = try store.append([
            Submission(id: squatted, command: .configureProject(projectId: "px", name: "X", retention: .retainAll))
        ])
        guard case .appended = squat.first else {
            Issue.record("the squatting event was not appended: \(squat)")
            return
        }
        #expect(try store.scheduler().tick(at: minute.date).created.count == 1)
        #expect(try store.projections.schedulerHorizon() == minute)
    }

    /// A folder from before the run-id salt ticked 06:00 with unsalted ids;
    /// the cairn that makes the salt opened it within the same minute and
    /// ticked 06:00 again, under new ids: two runs for one (trigger,
    /// minute). Minutes up to the salt's making keep the unsalted ids.
    @Test func theMinuteOfTheUpgradeToSaltedIdsFiresOnce() throws {
        let folder = try Self.publishedFolder()
        do {
            let store = try Store(path: folder.path)
            try Self.forgetTheSalt(store)
            let old = Scheduler(log: store.log, projections: store.projections, runIdSalt: "")
            #expect(try old.tick(at: Self.date("2027-03-02T06:00:05Z")).created.count == 1)
        }
        // Opened at 06:00:30 by the cairn with the salt.
        let opened = Timestamp(Self.date("2027-03-02T06:00:30Z"))
        let store = try Store(path: folder.path, clock: { opened })
        #expect(!store.runIdSalt.isEmpty)
        #expect(store.runIdSaltAppliesAfter == opened)
        #expect(try store.scheduler().tick(at: Self.date("2027-03-02T06:00:40Z")).created.isEmpty)
        #expect(try Self.cronRuns(store).count == 1)
        // The next day's fire has a salted id: not the one derived without it.
        let next = try store.scheduler().tick(at: Self.date("2027-03-03T06:00:00Z")).created
        let unsalted = UUID.derived(["cron-run", Self.cron, String(Timestamp(Self.date("2027-03-03T06:00:00Z")).microseconds)])
        #expect(next.count == 1)
        #expect(next.first?.runId != unsalted.lowercasedString)
        // Opened again: the same salt and the same moment.
        let again = try Store(path: folder.path)
        #expect(again.runIdSalt == store.runIdSalt)
        #expect(again.runIdSaltAppliesAfter == opened)
    }

    /// The same, when a command of the new cairn made the salt earlier
    /// (05:30) while the old service still ran and ticked 06:00 unsalted:
    /// the new service's tick of 06:00 finds the old run. A run a token
    /// holder made under the unsalted id of the next fire does not stop it.
    @Test func anEarlierOpenByTheNewCairnStillFiresTheUpgradeMinuteOnce() throws {
        let folder = try Self.publishedFolder()
        do {
            let store = try Store(path: folder.path)
            try Self.forgetTheSalt(store)
        }
        let early = Timestamp(Self.date("2027-03-02T05:30:00Z"))
        do {
            let store = try Store(path: folder.path, clock: { early })
            #expect(store.runIdSaltAppliesAfter == early)
            // The old service, still running: no salt.
            let old = Scheduler(log: store.log, projections: store.projections, runIdSalt: "")
            #expect(try old.tick(at: Self.date("2027-03-02T06:00:05Z")).created.count == 1)
            // A token holder's run under the unsalted id of the next day's fire.
            let next = Timestamp(Self.date("2027-03-03T06:00:00Z"))
            let squat = UUID.derived(["cron-run", Self.cron, String(next.microseconds)]).lowercasedString
            let outcome = try store.append([Submission(id: .random(), command: .createRun(CreateRun(
                runId: squat, workflowId: "7b1c2b4e-0c2d-4f7a-9a51-1d2f3e4a5b60", startingTriggerId: Self.cron,
                input: NewDataclip(type: .global, body: Array("{}".utf8)))))])
            guard case .appended = outcome.first else {
                Issue.record("\(outcome)")
                return
            }
        }
        let store = try Store(path: folder.path)
        #expect(try store.scheduler().tick(at: Self.date("2027-03-02T06:00:40Z")).created.isEmpty)
        #expect(try Self.cronRuns(store).count == 1)
        #expect(try store.scheduler().tick(at: Self.date("2027-03-03T06:00:00Z")).created.count == 1)
        #expect(try Self.cronRuns(store).count == 2)
    }

    /// A folder an older cairn made records when it got its salt even if
    /// it holds no event yet: the older service may be ticking it (a fourth review).
    @Test func anEmptyFolderOfAnOlderCairnRecordsWhenItsSaltWasMade() throws {
        let folder = TemporaryFolder()
        do {
            try Self.forgetTheSalt(try Store(path: folder.path))
        }
        let opened = Timestamp(Self.date("2027-03-02T06:00:30Z"))
        let store = try Store(path: folder.path, clock: { opened })
        #expect(!store.runIdSalt.isEmpty)
        #expect(store.runIdSaltAppliesAfter == opened)
    }

    /// A folder made by a cairn with the salt salts every minute.
    @Test func aNewFolderSaltsEveryMinute() throws {
        let folder = TemporaryFolder()
        let store = try Store(path: folder.path)
        #expect(!store.runIdSalt.isEmpty)
        #expect(store.runIdSaltAppliesAfter == nil)
    }
}
