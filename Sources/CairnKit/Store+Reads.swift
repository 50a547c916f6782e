public import EventLog
public import Projections

/// What the front ends (the CLI and the service) read. Each answer comes
/// from where it is true: runs, triggers and pages of runs from the
/// projections; dataclips, snapshots and projects from the log itself.
extension Store {
    /// The sequence of the log's last event (0 when empty).
    public func lastSequence() throws -> UInt64 { try log.lastSequence() }

    /// Run `id` as the runs projection has it (it may lag the log: `projectionLag`).
    public func run(_ id: String) throws -> RunAggregate? { try projections.run(id) }

    /// Run `id` as it stands: from the runs projection, or, while the
    /// projections are behind the log (their catch-up failed: a full disk,
    /// `projectionLag`), from the log itself.
    public func currentRun(_ id: String) throws -> RunAggregate? {
        // Not an id (empty, too long, a NUL): no run, rather than LMDB's refusal of the key.
        guard Identifier.problem(with: id) == nil else { return nil }
        if projectionLag != nil { return try log.run(id) }
        return try projections.run(id)
    }

    /// Run `id` folded from its own stream in the log: the truth, even
    /// while the projections are behind (an answer to the claim that
    /// committed it, a worker reporting on a run it was given).
    public func runFromLog(_ id: String) throws -> RunAggregate? { try log.run(id) }

    /// The workflow's runs, newest first, at most `limit`.
    public func runs(ofWorkflow workflowId: String, limit: Int) throws -> [RunAggregate] {
        try projections.runs(ofWorkflow: workflowId, limit: limit)
    }

    /// Available runs, oldest first, of `project` (every project's when `nil`).
    public func availableRuns(project: String?, limit: Int) throws -> [RunAggregate] {
        try projections.availableRuns(project: project, limit: limit)
    }

    public func dataclip(_ id: String) throws -> Dataclip? { try log.dataclip(id) }

    /// The trigger as the latest snapshot of its workflow has it.
    public func trigger(_ id: String) throws -> TriggerRecord? { try projections.trigger(id) }

    /// The workflow's snapshot at `lockVersion` (the latest when `nil`).
    public func snapshot(_ workflowId: String, lockVersion: UInt32? = nil) throws -> StoredSnapshot? {
        try log.snapshot(workflowId, lockVersion: lockVersion)
    }

    /// The project's settings as last configured, `nil` if never.
    public func project(_ id: String) throws -> ProjectConfigured? { try log.project(id) }
}
