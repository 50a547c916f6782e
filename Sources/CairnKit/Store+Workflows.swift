public import EventLog
public import Workflows
import Foundation
import JSON

/// What publishing a workflow did.
public struct PublishResult: Sendable, Equatable {
    public let workflowId: String
    public let lockVersion: UInt32
    /// Whether a new snapshot was written (false: the content equals the latest).
    public let changed: Bool

    public init(workflowId: String, lockVersion: UInt32, changed: Bool) {
        self.workflowId = workflowId
        self.lockVersion = lockVersion
        self.changed = changed
    }
}

public enum PublishError: Error, CustomStringConvertible {
    case invalid(WorkflowErrors)
    case rejected(EventLogError)

    public var description: String {
        switch self {
        case .invalid(let errors): return errors.description
        case .rejected(let error): return error.description
        }
    }
}

extension Store {
    /// Validates `workflow` and, if its content differs from the latest
    /// snapshot, stores snapshot `lock_version + 1` and appends
    /// `workflow:published`. The workflow's own `lockVersion` is ignored: the
    /// store assigns versions. A job, trigger or edge id another workflow
    /// published first is refused (`PublishError.rejected`, the field path
    /// named): ids belong to one workflow (docs/architecture.md).
    /// `actor` is who publishes, for the audit trail (`cairn audit`): the
    /// command line's operator by default. With `basedOn`, the publish is
    /// refused (`PublishError.rejected(.versionConflict)`) unless that is
    /// still the latest version: for a change made to a version just read.
    /// With `publisher`, the project of a token that may publish only its
    /// own project's workflows: the workflow, and its document if it was
    /// never published, must be that project's, checked in the publish's own
    /// transaction (`publishAccessCheck`); `DocumentAccessError` if not.
    public func publish(
        _ workflow: Workflow, actor: AuditActor = .operator, basedOn: UInt32? = nil, publisher: String? = nil
    ) throws -> PublishResult {
        do {
            try WorkflowValidator.validate(workflow, published: { try? self.workflow(workflow.id) })
        } catch { throw PublishError.invalid(error) }
        var request = Self.publishRequest(for: workflow)
        request.actor = actor
        request.basedOn = basedOn
        request.accessCheck = publisher.map { publishAccessCheck(workflow.id, publisher: $0) }
        // Publishing is idempotent by content (an unchanged workflow writes
        // nothing), so the event id need not be stable.
        let submission = Submission(id: .random(), command: .publishWorkflow(request))
        switch try append([submission])[0] {
        case .appended, .duplicate:
            let latest = try log.snapshot(workflow.id)
            return PublishResult(workflowId: workflow.id, lockVersion: latest?.lockVersion ?? 1, changed: true)
        case .unchanged(let lockVersion):
            return PublishResult(workflowId: workflow.id, lockVersion: lockVersion, changed: false)
        case .rejected(.workflowOfAnotherProject(let id, let reason)):
            throw DocumentAccessError(workflowId: id, project: publisher ?? "", reason: reason)
        case .rejected(let error):
            throw PublishError.rejected(error)
        }
    }

    /// The triggers as a publish of `workflow` records them (the cron
    /// index and the page read these, not the workflow's JSON).
    public static func triggerSummaries(of workflow: Workflow) -> [TriggerSummary] {
        workflow.triggers.map { t in
            TriggerSummary(
                id: t.id, type: t.type.rawValue, enabled: t.enabled,
                cronExpression: t.type == .cron ? (t.cronExpression ?? Trigger.defaultCronExpression) : nil,
                cronCursorJobId: t.type == .cron ? t.cronCursorJobId : nil, timezone: t.timezone,
                cronDayMatch: t.cronDayMatch?.rawValue)
        }
    }

    static func publishRequest(for workflow: Workflow) -> PublishRequest {
        let content = WorkflowJSON.encode(workflow, includeLockVersion: false).serialized(sortedKeys: true)
        return PublishRequest(
            workflowId: workflow.id, projectId: workflow.projectId, deleted: workflow.deletedAt != nil,
            jobIds: workflow.jobs.map(\.id),
            triggers: triggerSummaries(of: workflow),
            edgeIds: workflow.edges.map(\.id),
            content: content,
            document: { lockVersion in
                var stamped = workflow
                stamped.lockVersion = Int(lockVersion)
                return WorkflowJSON.encode(stamped).serialized(sortedKeys: true)
            })
    }

    /// The workflow of a stored snapshot (the latest when `lockVersion` is nil).
    public func workflow(_ id: String, lockVersion: UInt32? = nil) throws -> Workflow? {
        guard let snapshot = try log.snapshot(id, lockVersion: lockVersion) else { return nil }
        return try WorkflowJSON.decode(snapshot.document)
    }
}
