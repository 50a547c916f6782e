public import EventLog
public import Projections
public import Workflows
import Foundation
import YDoc

/// A workflow of a project as the page's list shows it: its latest
/// snapshot's summary.
public struct WorkflowListing: Sendable {
    public let id: String
    public let name: String
    public let projectId: String
    public let lockVersion: UInt32
    public let triggers: [TriggerSummary]
}

/// What the workflow's document says now (the editors' draft), for the
/// page: the workflow it materializes to, the repairs that took, and the
/// problems the last publish wrote into its `errors` map.
public struct DocumentDraft: Sendable {
    public let workflow: Workflow
    public let repairs: [Repair]
    /// The `errors` map: path → message (docs/documents.md).
    public let errors: [(path: String, message: String)]
}

/// The reads the web page needs beyond the JSON API's (docs/page.md).
extension Store {
    /// The live (published, not deleted) workflows of `project` (every
    /// project's when `nil`: an open server), by name.
    public func workflows(ofProject project: String?) throws -> [WorkflowListing] {
        var listings: [WorkflowListing] = []
        for id in try log.workflowIds() {
            guard let snapshot = try log.snapshot(id), !snapshot.summary.deleted else { continue }
            if let project, snapshot.summary.projectId != project { continue }
            let workflow = try? WorkflowJSON.decode(snapshot.document)
            listings.append(WorkflowListing(
                id: id, name: workflow?.name ?? id, projectId: snapshot.summary.projectId,
                lockVersion: snapshot.lockVersion, triggers: snapshot.summary.triggers))
        }
        return listings.sorted { ($0.name, $0.id) < ($1.name, $1.id) }
    }

    /// A page of the workflow's runs, newest first: the `limit` runs older
    /// than `before` (the last run of the previous page), or the newest.
    public func runs(ofWorkflow workflowId: String, limit: Int, before: RunAggregate?) throws -> [RunAggregate] {
        try projections.runs(ofWorkflow: workflowId, limit: limit, before: before.map { ($0.createdAt, $0.runId) })
    }

    /// The next cron input of `triggerId` (docs/semantics.md), `nil` if no
    /// published workflow has the trigger.
    public func nextCronInput(_ triggerId: String) throws -> CronInput? {
        try projections.nextCronInput(triggerId)
    }

    /// The workflow's document as its editors have it, `nil` when it holds
    /// no workflow: none was ever stored (a workflow only published), or
    /// only an editor's empty state (one who opened the sync socket first).
    public func documentDraft(_ workflowId: String) throws -> DocumentDraft? {
        guard try documents.exists(workflowId) else { return nil }
        let doc = try documents.load(workflowId)
        let (workflow, repairs) = WorkflowDocument.materialize(doc, projectId: try documentProject(workflowId, doc))
        if workflow.id.isEmpty && workflow.jobs.isEmpty && workflow.triggers.isEmpty { return nil }
        var errors: [(String, String)] = []
        if case .object(let members) = doc.map("errors").toJSON() {
            for (path, value) in members {
                if case .string(let message) = value { errors.append((path, message)) } else { errors.append((path, "\(value)")) }
            }
        }
        return DocumentDraft(workflow: workflow, repairs: repairs, errors: errors.sorted { $0.0 < $1.0 })
    }
}
