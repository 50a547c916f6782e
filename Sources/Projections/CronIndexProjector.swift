public import EventLog
public import Cron
import Encoding
import Foundation

/// The triggers of the latest snapshot of every live workflow, and, for the
/// enabled cron ones, an index ordered by next fire time so a scheduler tick
/// touches only the triggers due by then.
///
/// Next fire times are computed after the *horizon*: the last minute the
/// scheduler said it considered (`schedule:ticked`). Before any tick the
/// horizon is the epoch, so the first tick looks at every trigger once.
///
/// A trigger id is the workflow's that first published a trigger with it
/// (`owners`, never removed), the rule the log enforces for every publish
/// (docs/architecture.md, "Ids belong to one workflow"). A data folder
/// written before that rule may hold a later workflow with the same trigger
/// id: its copy is left out here, so it neither replaces the owner's
/// trigger (and its cursor) nor unschedules it when it changes.
public struct CronIndexProjector: Projector {
    public let name = "cron_index"
    /// 2: `owners`; a trigger of a workflow that does not own its id is left out.
    /// 3: a trigger record keeps `effectiveSince` (format 2), so a late tick
    /// owes no minute from before the trigger existed.
    /// 4: fires on whole UTC minutes where a zone's offset had seconds (local
    /// mean time), so a folder indexed before replays to the same bytes.
    public let version: UInt32 = 4
    public let tables = ["triggers", "workflow_triggers", "due", "next_fire", "meta", "owners"]
    public let kinds = EventKinds(.workflowPublished, .scheduleTicked)
    static let triggers = 0, workflowTriggers = 1, due = 2, nextFire = 3, meta = 4, owners = 5
    static let horizonKey = Array("horizon".utf8)

    public init() {}

    public func apply(_ view: EventView, _ context: ProjectionContext) throws {
        // Rare events, read whole.
        guard case .other = view.fields else { return }
        switch try view.decoded().event {
        case .workflowPublished(let e):
            // The new snapshot replaces every trigger of the previous one.
            var previous: [String: TriggerRecord] = [:]
            for key in try context.keys(Self.workflowTriggers, prefix: Key.part(e.workflowId)) {
                let triggerId = String(decoding: key.dropFirst(e.workflowId.utf8.count + 1), as: UTF8.self)
                if let bytes = try context.get(Self.triggers, Array(triggerId.utf8)) {
                    previous[triggerId] = try TriggerRecord.decode(bytes)
                }
                try unschedule(triggerId, context)
                try context.delete(Self.triggers, Array(triggerId.utf8))
                try context.delete(Self.workflowTriggers, key)
            }
            // Claimed at every publish, a deleted workflow's too (as the log does).
            var owned: [TriggerSummary] = []
            for trigger in e.triggers {
                let id = Array(trigger.id.utf8)
                if let owner = try context.get(Self.owners, id) {
                    guard owner.elementsEqual(e.workflowId.utf8) else { continue }
                } else {
                    try context.put(Self.owners, id, Array(e.workflowId.utf8))
                }
                owned.append(trigger)
            }
            guard !e.deleted else { return }
            let horizon = try Self.horizon(context)
            for trigger in owned {
                var record = TriggerRecord(workflowId: e.workflowId, projectId: e.projectId, lockVersion: e.lockVersion, summary: trigger)
                // Effective from this publish (the event's own time, so replay
                // gives the same bytes), unless the schedule is unchanged: a
                // publish that edits only a job does not reset it.
                if let old = previous[trigger.id], old.schedule != nil, old.sameSchedule(as: record) {
                    record.effectiveSince = old.effectiveSince
                } else {
                    record.effectiveSince = e.timestamp
                }
                try context.put(Self.triggers, Array(trigger.id.utf8), record.encoded())
                try context.put(Self.workflowTriggers, Key.part(e.workflowId) + Array(trigger.id.utf8), [])
                if let schedule = record.schedule, let next = schedule.nextSecond(after: horizon.microseconds.floorDiv(1_000_000)) {
                    try enqueue(trigger.id, atSecond: next, context)
                }
            }
        case .scheduleTicked(let e):
            let horizon = try Self.horizon(context)
            if e.minute > horizon { try context.put(Self.meta, Self.horizonKey, Key.time(e.minute)) }
            // Move every trigger due by this minute to its next fire after it.
            var due: [(key: [UInt8], trigger: String)] = []
            // A stored minute is any 64-bit value once read back (a damaged event): saturate, never trap.
            let end = e.minute.microseconds == .max ? e.minute.microseconds : e.minute.microseconds + 1
            try context.transaction.scan(context[Self.due], in: .init(to: Key.time(Timestamp(microseconds: end)))) { key, _ in
                due.append((Array(key), String(decoding: key.dropFirst(8), as: UTF8.self)))
                return true
            }
            for (key, triggerId) in due {
                try context.delete(Self.due, key)
                try context.delete(Self.nextFire, Array(triggerId.utf8))
                guard let bytes = try context.get(Self.triggers, Array(triggerId.utf8)),
                    let schedule = try TriggerRecord.decode(bytes).schedule,
                    let next = schedule.nextSecond(after: e.minute.microseconds.floorDiv(1_000_000))
                else { continue }
                try enqueue(triggerId, atSecond: next, context)
            }
        default:
            break
        }
    }

    /// Queues `triggerId` to fire at `second`, unless that second is past
    /// what a `Timestamp` holds: only a damaged minute or horizon (any
    /// 64-bit value once read back) leads there, and a trap would stop every
    /// catch-up and rebuild of the folder. Such a trigger has no next fire,
    /// as one whose schedule never fires again.
    private func enqueue(_ triggerId: String, atSecond second: Int64, _ context: ProjectionContext) throws {
        let (microseconds, overflow) = second.multipliedReportingOverflow(by: 1_000_000)
        guard !overflow else { return }
        let time = Timestamp(microseconds: microseconds)
        try context.put(Self.due, Key.time(time) + Array(triggerId.utf8), [])
        try context.put(Self.nextFire, Array(triggerId.utf8), Key.time(time))
    }

    private func unschedule(_ triggerId: String, _ context: ProjectionContext) throws {
        guard let time = try context.get(Self.nextFire, Array(triggerId.utf8)) else { return }
        try context.delete(Self.due, time + Array(triggerId.utf8))
        try context.delete(Self.nextFire, Array(triggerId.utf8))
    }

    static func horizon(_ context: ProjectionContext) throws -> Timestamp {
        try context.get(meta, horizonKey).flatMap { Key.time(from: $0) } ?? Timestamp(microseconds: 0)
    }
}

/// A trigger of a workflow's latest snapshot.
public struct TriggerRecord: Sendable, Equatable {
    public var workflowId: String
    public var projectId: String
    public var lockVersion: UInt32
    public var summary: TriggerSummary
    /// When this trigger's schedule took effect: the time of the publish
    /// that created, enabled or re-scheduled it. A tick never owes a fire
    /// from before it (docs/operations.md, "Late ticks"). Zero in a record
    /// of format 1.
    public var effectiveSince: Timestamp = Timestamp(microseconds: 0)

    public init(workflowId: String, projectId: String, lockVersion: UInt32, summary: TriggerSummary) {
        self.workflowId = workflowId
        self.projectId = projectId
        self.lockVersion = lockVersion
        self.summary = summary
    }

    public var id: String { summary.id }

    /// Whether both would fire at the same minutes (same kind, enabled,
    /// expression, zone and day rule).
    func sameSchedule(as other: TriggerRecord) -> Bool {
        summary.type == other.summary.type && summary.enabled == other.summary.enabled
            && summary.cronExpression == other.summary.cronExpression && summary.timezone == other.summary.timezone
            && summary.cronDayMatch == other.summary.cronDayMatch
    }
    public var isCron: Bool { summary.type == "cron" }

    /// The schedule of an enabled cron trigger whose expression can fire; `nil` otherwise.
    public var schedule: CronSchedule? {
        guard isCron, summary.enabled, let expression = summary.cronExpression else { return nil }
        let dayMatch = summary.cronDayMatch.flatMap(DayMatch.init(rawValue:)) ?? .any
        return ScheduleMemo.shared.schedule(.init(expression: expression, timeZone: summary.timezone ?? "UTC", dayMatch: dayMatch))
    }

    func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: 128)
        w.writeUInt8(2)
        w.writeVarString(workflowId)
        w.writeVarString(projectId)
        w.writeVarUInt(UInt64(lockVersion))
        w.writeVarString(summary.id)
        w.writeVarString(summary.type)
        w.writeUInt8(summary.enabled ? 1 : 0)
        w.writeOptional(summary.cronExpression)
        w.writeOptional(summary.cronCursorJobId)
        w.writeOptional(summary.timezone)
        w.writeOptional(summary.cronDayMatch)
        w.writeVarUInt(UInt64(bitPattern: effectiveSince.microseconds))
        return w.bytes
    }

    static func decode(_ bytes: [UInt8]) throws -> TriggerRecord {
        var r = ByteReader(bytes)
        let format = try r.readUInt8()
        guard format == 1 || format == 2 else { throw ProjectionError.corrupt("trigger record format \(format)") }
        let workflow = try r.readVarString()
        let project = try r.readVarString()
        let lockVersion = UInt32(truncatingIfNeeded: try r.readVarUInt())
        let summary = TriggerSummary(
            id: try r.readVarString(), type: try r.readVarString(), enabled: try r.readUInt8() == 1,
            cronExpression: try r.readOptionalString(), cronCursorJobId: try r.readOptionalString(),
            timezone: try r.readOptionalString(), cronDayMatch: try r.readOptionalString())
        var record = TriggerRecord(workflowId: workflow, projectId: project, lockVersion: lockVersion, summary: summary)
        // All 64 bits: written as the time's bit pattern, a clock before
        // 1970 (or after 2255) is past lib0's 2^53 (docs/reliability.md, "Session 26 review").
        if format == 2 { record.effectiveSince = Timestamp(microseconds: Int64(bitPattern: try r.readVarUInt64())) }
        return record
    }
}

extension Int64 {
    func floorDiv(_ d: Int64) -> Int64 {
        let q = self / d
        return (self % d != 0 && (self < 0) != (d < 0)) ? q - 1 : q
    }
}

/// Schedules already parsed, by expression, zone and day rule. Parsing one
/// costs about as much as replaying a hundred events (a rebuild of a
/// thousand publishes spent more on it than on the rest of the cron index),
/// and a store has few distinct expressions among many triggers. Parsing is
/// a pure function of the key, so a remembered result is the same result.
final class ScheduleMemo: @unchecked Sendable {
    struct Key: Hashable {
        let expression: String
        let timeZone: String
        let dayMatch: DayMatch
    }

    static let shared = ScheduleMemo()
    /// Bounded: emptied when full (distinct expressions are few).
    static let capacity = 4_096
    private let lock = NSLock()
    /// `.some(nil)`: the key does not make a schedule that can fire.
    private var schedules: [Key: CronSchedule?] = [:]

    func schedule(_ key: Key) -> CronSchedule? {
        if let known = lock.withLock({ schedules[key] }) { return known }
        var usable: CronSchedule?
        if let parsed = try? CronSchedule(key.expression, timeZone: key.timeZone, dayMatch: key.dayMatch), parsed.canFire {
            usable = parsed
        }
        lock.withLock {
            if schedules.count >= Self.capacity { schedules.removeAll() }
            schedules[key] = .some(usable)
        }
        return usable
    }
}
