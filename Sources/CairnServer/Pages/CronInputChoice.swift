import CairnKit
import Workflows
import YDoc

/// The **Cron input source** select (docs/page.md): sets a cron trigger's
/// `cron_cursor_job_id` in the workflow's document as a collaborator
/// would — a Yjs transaction by the server's replica, through the document
/// hub, so it is stored and relayed to the editors connected over the
/// WebSocket — and then publishes the document, since the scheduler reads
/// published snapshots only.
struct CronInputChoice {
    let store: Store
    let hub: DocumentHub

    enum Outcome {
        /// Stored and published: the scheduler uses it from now on.
        case published(PublishResult)
        /// Stored in the document, but the document does not publish (the
        /// problems are in its `errors` map): the scheduler keeps the last
        /// published choice.
        case notPublished(String)
    }

    /// Sets trigger `triggerId` of workflow `workflowId` to take its input
    /// from job `jobId` (`nil`: the final run state), for `viewer` (an
    /// editor of the workflow's project, checked by the caller). An unknown
    /// job or trigger is a `PageError` and writes nothing.
    func choose(workflowId: String, triggerId: String, jobId: String?, published: Workflow, viewer: PageViewer) async throws -> Outcome {
        let project = viewer.project
        do {
            try await hub.edit(workflowId, project: project) { doc in
                // A workflow only ever published has no document yet: it
                // starts as its published version (the reference editor
                // opens a workflow the same way), in the same change.
                if doc.map("workflow").get("id") == nil && doc.array("jobs").values.isEmpty {
                    WorkflowDocument.populate(doc, with: published)
                }
                // Checked against the document as it is now, in the hub:
                // the job and the trigger may have been deleted by an editor since the page was shown.
                let (draft, _) = WorkflowDocument.materialize(doc)
                if let jobId, !draft.jobs.contains(where: { $0.id == jobId }) {
                    let names = draft.jobs.map { "\($0.name) (\($0.id))" }.joined(separator: ", ")
                    throw PageError.badRequest(
                        "job \(jobId) is not a job of this workflow, so it cannot be the cron input source; choose Final run state or one of: \(names)")
                }
                let map = doc.array("triggers").values.compactMap { value -> YMap? in
                    guard case .map(let m) = value, case .any(.string(triggerId))? = m.get("id") else { return nil }
                    return m
                }.first
                guard let map, case .any(.string("cron"))? = map.get("type") else {
                    throw PageError(status: .conflict, message: "trigger \(triggerId) is not a cron trigger of this workflow's document (an editor may have removed it)")
                }
                doc.transact { txn in map.set("cron_cursor_job_id", jobId.map(YInput.string) ?? .null, txn) }
            }
        } catch let error as DocumentAccessError {
            throw PageError.forbidden("this token's project may not edit the document of workflow \(workflowId): \(error.reason)")
        }
        do {
            let result = try await offPool { [store] in
                try store.publishDocument(workflowId, projectId: project, actor: viewer.actor)
            }
            return .published(result)
        } catch let error as PublishError {
            return .notPublished(error.description)
        }
    }
}
