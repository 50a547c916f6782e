public import EventLog
public import Projections
import Cron
public import Foundation
import LMDB

/// A run the scheduler created for a cron minute.
public struct ScheduledRun: Sendable, Equatable {
    public var runId: String
    public var triggerId: String
    public var workflowId: String
    public var inputDataclipId: String
    public var source: CronInputSource
    /// The cron minute the run is for (earlier than the tick for a catch-up run).
    public var scheduledFor: Timestamp
}

/// Something that went wrong for one trigger during a tick; the others went on.
public struct TriggerFailure: Sendable, CustomStringConvertible {
    public var triggerId: String
    public var workflowId: String
    public var reason: String
    public var description: String { "trigger \(triggerId) of workflow \(workflowId): \(reason)" }
}

/// Starts cron runs from the projections (docs/semantics.md): at each minute,
/// every enabled cron trigger of every live workflow whose schedule matches
/// gets one run whose input is `nextCronInput(trigger)`.
///
/// Exactly once: a run's id and its event's id are derived from (trigger,
/// minute), so a second tick of the same minute, a restart, a replay or a
/// second scheduler finds its events already in the log and creates nothing.
/// A trigger id belongs to one workflow (the cron index holds only its
/// owner's trigger), so the workflow is not part of it; adding it would give
/// the minute of an upgrade a second run (docs/architecture.md, "Ids belong
/// to one workflow").
public final class Scheduler: Sendable {
    public let log: EventStore
    public let projections: Projections
    /// How far back a tick after downtime may reach to run a trigger's most
    /// recent missed fire (once). Zero (the default): missed fires are skipped.
    public let catchUpWindow: TimeInterval
    /// A tick at most this long after the previous one is late, not after
    /// downtime: a long write, a paused VM or a clock step kept it from its
    /// minute. It owes every fire since the previous tick, not only its own
    /// minute's, so a daily job does not lose its day. A longer gap is
    /// downtime, where `catchUpWindow` rules. Five minutes by default.
    public let lateTickGrace: TimeInterval
    let report: @Sendable (TriggerFailure) -> Void
    /// Told of every tick that completed, once its events are written (the
    /// service counts ticks and the runs they created).
    let onTick: @Sendable (Tick) -> Void
    /// Brings the projections up to the log (the store's, which keeps its
    /// outcome as the service's projection lag).
    let catchUp: @Sendable () throws -> Void
    /// The folder's secret mixed into the ids of cron runs and ticks
    /// (`Store.runIdSalt`); empty: none.
    let runIdSalt: String
    /// Minutes at or before this were ticked, if at all, by a cairn from
    /// before the salt: their ids stay unsalted, so a minute ticked on both
    /// sides of the upgrade still finds its run. `nil`: the salt covers every minute.
    let runIdSaltAppliesAfter: Timestamp?
    /// The last minute ticked by any process on the folder, kept outside
    /// the log (ticks with nothing due record nothing there).
    let memory: TickMemory
    let resolveInput: @Sendable (String) throws -> CronInput?
    /// The latest minute this scheduler ticked, recorded or not (a tick
    /// with nothing due records nothing, so the log's horizon may be older).
    private let lastTicked = LastTicked()

    /// - Parameters:
    ///   - report: told of each trigger that failed (the tick goes on with the others).
    ///   - resolveInput: `nextCronInput`; replaceable so tests can make one trigger fail.
    ///   - onTick: told of each tick that completed (metrics).
    public init(
        log: EventStore, projections: Projections, catchUpWindow: TimeInterval = 0, lateTickGrace: TimeInterval = 300,
        report: @escaping @Sendable (TriggerFailure) -> Void = { _ in },
        resolveInput: (@Sendable (String) throws -> CronInput?)? = nil,
        onTick: @escaping @Sendable (Tick) -> Void = { _ in },
        catchUp: (@Sendable () throws -> Void)? = nil,
        runIdSalt: String = "", runIdSaltAppliesAfter: Timestamp? = nil, memory: TickMemory = .none
    ) {
        self.runIdSalt = runIdSalt
        self.runIdSaltAppliesAfter = runIdSaltAppliesAfter
        self.memory = memory
        self.log = log
        self.projections = projections
        self.catchUpWindow = catchUpWindow
        self.lateTickGrace = max(0, lateTickGrace)
        self.report = report
        self.onTick = onTick
        self.catchUp = catchUp ?? { _ = try projections.catchUp() }
        self.resolveInput = resolveInput ?? { try projections.nextCronInput($0) }
    }

    /// The outcome of one tick.
    public struct Tick: Sendable {
        public var minute: Timestamp
        /// Runs this tick created (none for a minute already ticked).
        public var created: [ScheduledRun]
        public var failures: [TriggerFailure]
    }

    /// Runs the minute containing `date`.
    public func tick(at date: Date) throws -> Tick {
        // Years 1 to 9999, as `cairn schedule tick --at` takes them: beyond,
        // the minute's microseconds would not be an Int64.
        let minutes = (date.timeIntervalSince1970 / 60).rounded(.down)
        guard minutes.isFinite, (-1_035_593_280...4_223_371_679).contains(minutes) else {
            throw SchedulerError.timeOutOfRange(date.timeIntervalSince1970)
        }
        let minute = Timestamp(microseconds: Int64(minutes) * 60_000_000)
        try catchUp()
        var failures: [TriggerFailure] = []
        /// Each fire, and whether it is a catch-up after downtime (a fire
        /// the window allows, not one owed since the previous tick).
        var fires: [(TriggerRecord, Timestamp, isCatchUp: Bool)] = []

        let horizon = try projections.schedulerHorizon()
        var advancing = horizon.map { minute > $0 } ?? true
        // A re-run of a minute at or before the horizon records nothing: it has nothing to retry.
        let retriable = advancing
        if advancing {
            // The last minute ticked: by this scheduler, as the log has it
            // (another process's, or before a restart), or as the folder
            // remembers it (a tick with nothing due, before a restart: without
            // it, a restart of a minute across a daily fire would be downtime).
            let remembered = try? memory.recall()
            let previous = [horizon, lastTicked.minute, remembered].compactMap { $0 }.max()
            let late = previous.map { minute > $0 && minute.date.timeIntervalSince($0.date) <= lateTickGrace } ?? false
            // The index holds each trigger's next fire after the horizon: only
            // those due by this minute need a look.
            let due = try projections.triggersDue(by: minute)
            // Nothing due: the index would not move, so record nothing (an idle
            // scheduler does not grow the log by an event a minute).
            if due.isEmpty { advancing = false }
            for (trigger, nextFire) in due {
                guard let schedule = trigger.schedule else { continue }
                let ownMinute = nextFire == minute || schedule.fires(atMinuteOf: minute.date)
                if late, let previous {
                    // Every fire after the previous tick and not before the
                    // trigger took effect, up to this minute: at most one a
                    // minute of the grace. Stepping starts there, not at the
                    // index's next fire, which may be decades older (a folder
                    // never ticked keeps the epoch as its horizon).
                    let owedAfter = max(previous, Self.justBefore(trigger.effectiveSince))
                    var fire = schedule.next(after: owedAfter.date).map { max(Timestamp($0), nextFire) }
                    while let at = fire, at < minute {
                        fires.append((trigger, at, false))
                        fire = schedule.next(after: at.date).map(Timestamp.init)
                    }
                    if ownMinute { fires.append((trigger, minute, false)) }
                } else if ownMinute {
                    fires.append((trigger, minute, false))
                } else if catchUpWindow > 0, let missed = schedule.previous(before: minute.date),
                    minute.date.timeIntervalSince(missed) <= catchUpWindow, Timestamp(missed) >= trigger.effectiveSince
                {
                    fires.append((trigger, Timestamp(missed), true))
                }
            }
        } else {
            // A minute at or before the horizon (a re-run, or an operator's
            // explicit tick in the past): look at every trigger.
            for trigger in try projections.allTriggers() {
                if let schedule = trigger.schedule, schedule.fires(atMinuteOf: minute.date) {
                    fires.append((trigger, minute, false))
                }
            }
        }

        var submissions: [Submission] = []
        var planned: [ScheduledRun] = []
        // A fire whose planning met a passing storage failure is owed again:
        // the earliest such fire owed since the previous tick, to be planned
        // anew by the next; a catch-up fire, by the next tick's catch-up.
        var retryFrom: Timestamp?
        var retryCatchUp = false
        for (trigger, scheduledFor, isCatchUp) in fires {
            do {
                if try firedByAnOlderCairn(trigger, scheduledFor) { continue }
                let (submission, run) = try plan(trigger, scheduledFor)
                submissions.append(submission)
                planned.append(run)
            } catch {
                let passing = retriable && Self.isPassing(error)
                if passing && isCatchUp { retryCatchUp = true }
                if passing && !isCatchUp { retryFrom = min(retryFrom ?? scheduledFor, scheduledFor) }
                let retry = !passing ? ""
                    : isCatchUp ? " (the catch-up of \(scheduledFor.iso8601) is looked for again at the next tick, within the window)"
                    : " (the fire of \(scheduledFor.iso8601) is tried again at the next tick)"
                let failure = TriggerFailure(triggerId: trigger.id, workflowId: trigger.workflowId, reason: "\(error)" + retry)
                failures.append(failure)
                report(failure)
            }
        }
        // The minute is not recorded, so the cron index does not move past the
        // fire; the runs planned for other triggers are written now, and come
        // back as duplicates at the retry (their ids are their fires').
        if retryFrom != nil || retryCatchUp { advancing = false }
        if advancing {
            // Salted like the runs: a token holder who could compute a tick's
            // id could send an event with it first, and the tick would be a
            // duplicate, never recorded.
            let id = EventID(UUID.derived(["schedule:ticked"] + salt(for: minute) + [String(minute.microseconds)]))
            submissions.append(Submission(id: id, command: .tick(minute: minute)))
        }
        let outcomes = try log.append(submissions)
        var created: [ScheduledRun] = []
        for (run, outcome) in zip(planned, outcomes) {
            switch outcome {
            case .appended: created.append(run)
            case .duplicate, .unchanged: break  // created by an earlier tick
            // Not an earlier tick's (that is a duplicate, by its event id):
            // another run took this fire's id. Said, never taken for done.
            case .rejected(.runExists):
                let failure = TriggerFailure(
                    triggerId: run.triggerId, workflowId: run.workflowId,
                    reason: "run id \(run.runId) is already another run's: the fire of \(run.scheduledFor.iso8601) was not started")
                failures.append(failure)
                report(failure)
            case .rejected(let error):
                let failure = TriggerFailure(triggerId: run.triggerId, workflowId: run.workflowId, reason: error.description)
                failures.append(failure)
                report(failure)
            }
        }
        try catchUp()
        if let retryFrom {
            // The previous tick becomes the minute before the failed fire, so
            // the next tick is late (within the grace, counted from there) and
            // owes it: after downtime or on a folder's first tick too, where
            // the last tick is older or missing. Never moves back (max).
            let before = Timestamp(microseconds: retryFrom.microseconds - 60_000_000)
            lastTicked.advance(to: before)
            try? memory.remember(before)
        } else if retryCatchUp {
            // The previous tick stays where it was: the next tick is after
            // downtime too, and its catch-up looks for the fire again. Moved
            // to the fire, it would owe every trigger the downtime's minutes.
        } else {
            lastTicked.advance(to: minute)
            // The log records a tick only when something was due. Failing to
            // remember costs only that: the runs are written.
            if !advancing { try? memory.remember(minute) }
        }
        let tick = Tick(minute: minute, created: created, failures: failures)
        onTick(tick)
        return tick
    }

    /// A failure that says nothing of the trigger, only of the moment: every
    /// reader slot taken, an I/O error, the map grown by another process.
    /// A damaged record or a missing job fails the same way each time and
    /// is reported once, its minute passed.
    static func isPassing(_ error: any Error) -> Bool {
        guard let error = error as? LMDBError else { return false }
        return error == .readersFull || error == .mapResized || error.isIOError
    }

    /// The instant after which `CronSchedule.next(after:)` yields only
    /// minutes at or after `time`: one microsecond earlier, rounded down to
    /// the whole second (fires are whole minutes).
    /// Saturates at the far edge: a clock far in the past (`Timestamp`
    /// saturates such a date to `.min`) gives an effective-since whose
    /// second, in microseconds, does not fit (docs/reliability.md, "Session 26 review").
    static func justBefore(_ time: Timestamp) -> Timestamp {
        let (before, below) = time.microseconds.subtractingReportingOverflow(1)
        if below { return time }
        let seconds = before / 1_000_000 - (before % 1_000_000 < 0 ? 1 : 0)
        let (micros, beyond) = seconds.multipliedReportingOverflow(by: 1_000_000)
        return Timestamp(microseconds: beyond ? .min : micros)
    }

    /// The `run:created` for `trigger` at `minute`, with its input resolved.
    func plan(_ trigger: TriggerRecord, _ minute: Timestamp) throws -> (Submission, ScheduledRun) {
        let key = String(minute.microseconds)
        // Salted (per folder) so no token holder can compute a fire's run id and take it first.
        let salt = salt(for: minute)
        let runId = UUID.derived(["cron-run"] + salt + [trigger.id, key]).lowercasedString
        let eventId = EventID(UUID.derived(["cron-run:created"] + salt + [trigger.id, key]))
        guard let input = try resolveInput(trigger.id) else {
            throw SchedulerError.triggerGone(trigger.id)
        }
        var create = CreateRun(
            runId: runId, workflowId: trigger.workflowId, lockVersion: trigger.lockVersion,
            startingTriggerId: trigger.id, scheduledFor: minute)
        let inputId: String
        if let existing = input.dataclipId {
            // The dataclip itself (same id) becomes the input: no copy.
            create.inputDataclipId = existing
            inputId = existing
        } else {
            create.input = NewDataclip(type: .global, body: Array("{}".utf8))
            inputId = EventID.derived(eventId.description, "input").description
        }
        let run = ScheduledRun(
            runId: runId, triggerId: trigger.id, workflowId: trigger.workflowId, inputDataclipId: inputId,
            source: input.source, scheduledFor: minute)
        return (Submission(id: eventId, command: .createRun(create)), run)
    }

    /// In a folder an older cairn made: whether a cairn from before the
    /// salt fired (trigger, minute) already, under the unsalted run id.
    /// `runIdSaltAppliesAfter` covers the usual upgrade (the new service's
    /// first open), but a command of the new cairn may have made
    /// the salt while the old service still ran and ticked. Only a scheduler
    /// writes a run's `scheduled_for` (workers cannot), so a run a token
    /// holder made under that id does not count.
    func firedByAnOlderCairn(_ trigger: TriggerRecord, _ minute: Timestamp) throws -> Bool {
        guard runIdSaltAppliesAfter != nil, !salt(for: minute).isEmpty else { return false }
        let runId = UUID.derived(["cron-run", trigger.id, String(minute.microseconds)]).lowercasedString
        guard let first = try log.firstEvent(ofStream: "run:\(runId)"), case .runCreated(let created) = first.event else { return false }
        return created.startingTriggerId == trigger.id && created.scheduledFor == minute
    }

    /// The salt of `minute`'s ids: none before the folder had one.
    func salt(for minute: Timestamp) -> [String] {
        if runIdSalt.isEmpty { return [] }
        if let after = runIdSaltAppliesAfter, minute <= after { return [] }
        return [runIdSalt]
    }

    /// The next fire of every enabled cron trigger after `date`, soonest first,
    /// with the input each would get if it fired now.
    public func upcoming(after date: Date, limit: Int) throws -> [(ScheduledRun, Date)] {
        var result: [(ScheduledRun, Date)] = []
        for trigger in try projections.allTriggers() {
            guard let schedule = trigger.schedule, let next = schedule.next(after: date) else { continue }
            guard let (_, run) = try? plan(trigger, Timestamp(next)) else { continue }
            result.append((run, next))
        }
        result.sort { ($0.1, $0.0.triggerId) < ($1.1, $1.0.triggerId) }
        return Array(result.prefix(max(0, limit)))
    }

    /// Ticks at every minute boundary until cancelled. The first tick, at
    /// start-up, is where missed minutes are handled (see `catchUpWindow`).
    ///
    /// The ticks run on a thread of their own ("cairn-scheduler"): a tick
    /// writes to LMDB and waits for the disk, which must not hold one of the
    /// few threads of Swift's cooperative pool. A tick that ends after the
    /// next minute has begun is followed at once by the next tick, which
    /// owes the minutes in between (`lateTickGrace`). `clock` is the wall
    /// clock but in the crash test (`SchedulerClock`).
    public func run(clock: SchedulerClock = .wall) async {
        await run(now: { clock.now() }, speed: clock.speed)
    }

    /// The same by `now`, a clock at the wall clock's pace (tests script it).
    public func run(now: @escaping @Sendable () -> Date) async {
        await run(now: now, speed: 1)
    }

    /// `speed` comes from a `SchedulerClock`, which checked it (1 to 60).
    private func run(now: @escaping @Sendable () -> Date, speed: Double) async {
        let loop = TickLoop(scheduler: self, now: now, speed: speed)
        await withTaskCancellationHandler {
            await withCheckedContinuation { (finished: CheckedContinuation<Void, Never>) in
                loop.start { finished.resume() }
            }
        } onCancel: {
            loop.stop()
        }
    }
}

extension Scheduler {
    /// Linux's name of the calling thread (`/proc/thread-self/comm`: what
    /// `ps -T`, `top -H` and debuggers show; at most 15 bytes). Swift cannot
    /// call `pthread_setname_np`, which glibc declares only under
    /// `_GNU_SOURCE`.
    private static let threadNameFile = "/proc/thread-self/comm"

    /// Names the calling OS thread; elsewhere than Linux, Foundation's name.
    static func nameCurrentThread(_ name: String) {
        if let handle = FileHandle(forWritingAtPath: threadNameFile) {
            try? handle.write(contentsOf: Data(name.utf8))
            try? handle.close()
        } else {
            Thread.current.name = name
        }
    }

    /// The calling OS thread's name, as `nameCurrentThread` set it.
    public static var currentThreadName: String {
        if let data = FileManager.default.contents(atPath: threadNameFile) {
            return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
        }
        return Thread.current.name ?? ""
    }
}

/// The latest minute a scheduler ticked.
private final class LastTicked: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Timestamp?

    var minute: Timestamp? { lock.withLock { value } }

    func advance(to minute: Timestamp) {
        lock.withLock { value = max(value ?? minute, minute) }
    }
}

/// `Scheduler.run`'s loop, on a thread of its own until stopped.
private final class TickLoop: @unchecked Sendable {
    let scheduler: Scheduler
    let now: @Sendable () -> Date
    /// How many of `now`'s seconds pass in a real one.
    let speed: Double
    private let condition = NSCondition()
    private var stopped = false

    init(scheduler: Scheduler, now: @escaping @Sendable () -> Date, speed: Double) {
        self.scheduler = scheduler
        self.now = now
        self.speed = speed
    }

    func start(onExit: @escaping @Sendable () -> Void) {
        let thread = Thread { [self] in
            // Named from inside, at the OS level (what `ps -T`, debuggers and
            // `Scheduler.currentThreadName` read): on Linux a thread starts
            // with its creator's name, and Foundation's `Thread.name` is not
            // reliably applied to the OS thread.
            Scheduler.nameCurrentThread("cairn-scheduler")
            loop()
            onExit()
        }
        thread.start()
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    private var isStopped: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopped
    }

    private func loop() {
        while !isStopped {
            let date = now()
            do {
                _ = try scheduler.tick(at: date)
            } catch {
                scheduler.report(TriggerFailure(triggerId: "*", workflowId: "*", reason: "tick failed: \(error)"))
            }
            // The next tick is at the start of the minute after the one just
            // ticked; if that has begun already (the tick ran late), at once.
            let next = (date.timeIntervalSince1970 / 60).rounded(.down) * 60 + 60
            let deadline = Date().addingTimeInterval((next - now().timeIntervalSince1970) / speed)
            condition.lock()
            while !stopped && Date() < deadline { _ = condition.wait(until: deadline) }
            condition.unlock()
        }
    }
}

public enum SchedulerError: Error, CustomStringConvertible {
    case triggerGone(String)
    /// A tick's time (Unix seconds) outside years 1 to 9999.
    case timeOutOfRange(Double)
    public var description: String {
        switch self {
        case .triggerGone(let id): return "trigger \(id) is no longer in a published workflow"
        case .timeOutOfRange(let seconds): return "cannot tick at \(seconds) s since 1970: times run from year 1 to 9999"
        }
    }
}
