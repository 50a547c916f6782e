public import EventLog
import Foundation
import LMDB

/// Where the next cron run's input comes from (docs/semantics.md).
public enum CronInputSource: String, Sendable {
    /// The latest successful output of the trigger's cursor job.
    case jobOutput = "job_output"
    /// The final dataclip of the trigger's latest successful run.
    case finalState = "final_state"
    /// Nothing usable: the run gets a new `global` dataclip with body `{}`.
    case empty
}

public struct CronInput: Sendable, Equatable {
    public var triggerId: String
    public var source: CronInputSource
    /// The dataclip to use as the input, `nil` when `empty`.
    public var dataclipId: String?

    public init(triggerId: String, source: CronInputSource, dataclipId: String?) {
        self.triggerId = triggerId
        self.source = source
        self.dataclipId = dataclipId
    }
}

/// The read side: the projections of docs/architecture.md and the queries over them.
public final class Projections: Sendable {
    public let engine: ProjectionEngine
    public let runs = RunsProjector()
    public let workflowRuns = WorkflowRunsProjector()
    public let jobOutputs = JobOutputsProjector()
    public let triggerFinals = TriggerFinalsProjector()
    public let cronIndex = CronIndexProjector()

    /// - Parameter catchingUp: see `ProjectionEngine.init`.
    public init(log: EventStore, catchingUp: Bool = true, progress: ((UInt64, UInt64) -> Void)? = nil) throws {
        engine = try ProjectionEngine(
            log: log, projectors: [runs, workflowRuns, jobOutputs, triggerFinals, cronIndex], catchingUp: catchingUp,
            progress: progress)
    }

    var environment: Environment { engine.log.environment }

    /// Brings every projection up to the head of the log.
    @discardableResult
    public func catchUp() throws -> UInt64 { try engine.catchUp() }

    // MARK: Queries
    //
    // Each query resolves the live slot of every table it reads inside its
    // own read transaction (`engine.table(_:_:in:)`): a rebuild by another
    // process switches slots and clears the one it leaves, so a slot read
    // in a transaction of its own may be empty by the time the query reads.

    public func run(_ id: String) throws -> RunAggregate? {
        try environment.read { txn in
            let table = try engine.table(runs, RunsProjector.runs, in: txn)
            return try txn.get(table, key: Array(id.utf8)).map(RunRecord.decode)
        }
    }

    /// Step `id` and its run (docs/architecture.md's `steps`), `nil` when the log
    /// has no such step or the runs projection has not reached it yet.
    public func step(_ id: String) throws -> (run: RunAggregate, step: StepRecord)? {
        guard let runId = try engine.log.runId(ofStep: id), let owner = try run(runId),
            let step = owner.steps.first(where: { $0.id == id })
        else { return nil }
        return (owner, step)
    }

    /// Runs of a workflow, newest first.
    /// `before`: only runs older than that one (created earlier, or at the
    /// same time with a smaller id): the next page after it, by key, so a
    /// page costs its own runs whatever its depth.
    public func runs(
        ofWorkflow workflowId: String, limit: Int = 100, before: (createdAt: Timestamp, runId: String)? = nil
    ) throws -> [RunAggregate] {
        try environment.read { txn in
            let index = try engine.table(workflowRuns, WorkflowRunsProjector.byWorkflow, in: txn)
            let table = try engine.table(runs, RunsProjector.runs, in: txn)
            var result: [RunAggregate] = []
            let prefix = Key.part(workflowId)
            var range = KeyRange.prefix(prefix)
            if let before { range.upper = prefix + Key.time(before.createdAt) + Array(before.runId.utf8) }
            try txn.scan(index, in: range, reverse: true) { key, _ in
                let runId = Array(key.dropFirst(prefix.count + 8))
                if let bytes = try txn.get(table, key: runId) { result.append(try RunRecord.decode(bytes)) }
                return result.count < limit
            }
            return result
        }
    }

    /// Runs still `available`, oldest first (by creation time, then id),
    /// from the projection's index: those of `project`, or with no project
    /// (an open server, the CLI) of every project, merged.
    public func availableRuns(project: String? = nil, limit: Int) throws -> [RunAggregate] {
        guard limit > 0 else { return [] }
        return try environment.read { txn in
            let index = try engine.table(runs, RunsProjector.available, in: txn)
            let table = try engine.table(runs, RunsProjector.runs, in: txn)
            /// Up to `limit` runs of the project whose key part is `prefix`, oldest first.
            func oldest(_ prefix: [UInt8]) throws -> [RunAggregate] {
                var found: [RunAggregate] = []
                try txn.scan(index, in: .prefix(prefix)) { key, _ in
                    if let bytes = try txn.get(table, key: Array(key.dropFirst(prefix.count + 8))) {
                        found.append(try RunRecord.decode(bytes))
                    }
                    return found.count < limit
                }
                return found
            }
            if let project { return try oldest(Key.part(project)) }
            // Each project's oldest, then merged: one seek per project with runs waiting.
            var merged: [RunAggregate] = []
            var from: [UInt8]? = nil
            while true {
                var next: [UInt8]?
                try txn.scan(index, in: KeyRange(from: from)) { key, _ in
                    next = key.firstIndex(of: 0).map { Array(key[...$0]) }
                    return false
                }
                guard let prefix = next else { break }
                merged += try oldest(prefix)
                // Past every key of this project: its separator 0 raised to 1.
                from = Array(prefix.dropLast()) + [1]
            }
            merged.sort { ($0.createdAt, $0.runId) < ($1.createdAt, $1.runId) }
            return Array(merged.prefix(limit))
        }
    }

    /// The trigger as the latest snapshot of its workflow has it, or `nil`.
    public func trigger(_ id: String) throws -> TriggerRecord? {
        try environment.read { txn in try trigger(id, txn) }
    }

    private func trigger(_ id: String, _ txn: ReadTransaction) throws -> TriggerRecord? {
        let table = try engine.table(cronIndex, CronIndexProjector.triggers, in: txn)
        return try txn.get(table, key: Array(id.utf8)).map(TriggerRecord.decode)
    }

    /// Every trigger of every live workflow.
    public func allTriggers() throws -> [TriggerRecord] {
        try environment.read { txn in
            let table = try engine.table(cronIndex, CronIndexProjector.triggers, in: txn)
            var result: [TriggerRecord] = []
            try txn.scan(table) { _, value in
                result.append(try TriggerRecord.decode(Array(value)))
                return true
            }
            return result
        }
    }

    /// The last minute the scheduler considered (`schedule:ticked`), if any.
    public func schedulerHorizon() throws -> Timestamp? {
        try environment.read { txn in
            let table = try engine.table(cronIndex, CronIndexProjector.meta, in: txn)
            return try txn.get(table, key: CronIndexProjector.horizonKey).flatMap { Key.time(from: $0) }
        }
    }

    /// Triggers whose next fire time is at or before `time`, earliest first:
    /// the candidates of a tick (O(due), not O(all)).
    public func triggersDue(by time: Timestamp) throws -> [(trigger: TriggerRecord, nextFire: Timestamp)] {
        try environment.read { txn in
            let due = try engine.table(cronIndex, CronIndexProjector.due, in: txn)
            let table = try engine.table(cronIndex, CronIndexProjector.triggers, in: txn)
            var result: [(TriggerRecord, Timestamp)] = []
            // Saturated: the end of time is a bound a caller may give.
            let end = time.microseconds == .max ? time.microseconds : time.microseconds + 1
            try txn.scan(due, in: KeyRange(to: Key.time(Timestamp(microseconds: end)))) { key, _ in
                let triggerId = Array(key.dropFirst(8))
                if let bytes = try txn.get(table, key: triggerId), let fire = Key.time(from: key.prefix(8)) {
                    result.append((try TriggerRecord.decode(bytes), fire))
                }
                return true
            }
            return result
        }
    }

    /// `nextCronInput(trigger)` of docs/semantics.md; `nil` if no live workflow has the trigger.
    public func nextCronInput(_ triggerId: String) throws -> CronInput? {
        try environment.read { txn in
            guard let trigger = try trigger(triggerId, txn) else { return nil }
            if let job = trigger.summary.cronCursorJobId {
                let table = try engine.table(jobOutputs, JobOutputsProjector.outputs, in: txn)
                if let id = try latest(table, prefix: JobOutputsProjector.key(workflowId: trigger.workflowId, jobId: job), txn) {
                    return CronInput(triggerId: triggerId, source: .jobOutput, dataclipId: id)
                }
            } else {
                let table = try engine.table(triggerFinals, TriggerFinalsProjector.finals, in: txn)
                if let id = try latest(table, prefix: TriggerFinalsProjector.key(workflowId: trigger.workflowId, triggerId: triggerId), txn) {
                    return CronInput(triggerId: triggerId, source: .finalState, dataclipId: id)
                }
            }
            return CronInput(triggerId: triggerId, source: .empty, dataclipId: nil)
        }
    }

    private func latest(_ table: Database, prefix: [UInt8], _ txn: ReadTransaction) throws -> String? {
        var found: String?
        try txn.scan(table, in: .prefix(prefix), reverse: true) { _, value in
            found = String(decoding: value, as: UTF8.self)
            return false
        }
        return found
    }
}
