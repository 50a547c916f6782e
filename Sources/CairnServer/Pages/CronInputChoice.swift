import CairnKit
import EventLog
import Workflows
import YDoc

/// The **Cron input source** select (docs/page.md): sets a cron trigger's
/// `cron_cursor_job_id` in the workflow's document as a collaborator
/// would — a Yjs transaction by the server's replica, through the document
/// hub, so it is stored and relayed to the editors connected over the
/// WebSocket — and publishes that one choice, since the scheduler reads
/// published snapshots only.
///
/// It publishes the latest published version with the cursor changed, not
/// the document: the document may hold other editors' unfinished changes
/// (a half-rewired graph), or lag a version published through the API or
/// `cairn workflow publish`; publishing it whole would put the first live
/// and revert the second, without a word to the person who only chose an
/// input. Publishing the document stays an editor's explicit act.
struct CronInputChoice {
    let store: Store
    let hub: DocumentHub

    enum Outcome {
        /// Published (the scheduler uses it from now on); stored in the
        /// document too unless `documentLeft`, which says why not.
        case published(PublishResult, documentLeft: String?)
        /// Stored in the document, but the document does not publish (the
        /// problems are in its `errors` map): the scheduler keeps the last
        /// published choice.
        case notPublished(String)
    }

    /// Why the document was left as it is: the trigger or the job is in the
    /// published version but not in the document.
    private struct NotInDocument: Error { let reason: String }

    /// Sets trigger `triggerId` of workflow `workflowId` to take its input
    /// from job `jobId` (`nil`: the final run state), for `viewer` (an
    /// editor of the workflow's project, checked by the caller). A job or
    /// trigger in neither the document nor the published version `published`
    /// is a `PageError` and writes nothing.
    ///
    /// The document can lack what the published version has: a version
    /// published through the API or `cairn workflow publish` does not write
    /// the document, and an editor may have removed the trigger or the job
    /// there without publishing yet. Then the choice is published alone and
    /// the document is left as it is (a cursor naming a job the document
    /// lacks would only be repaired away).
    func choose(workflowId: String, triggerId: String, jobId: String?, published: Workflow, viewer: PageViewer) async throws -> Outcome {
        let project = viewer.project
        var documentLeft: String?
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
                let jobInDocument = jobId.map { id in draft.jobs.contains { $0.id == id } } ?? true
                if let jobId, !jobInDocument, !published.jobs.contains(where: { $0.id == jobId }) {
                    let names = Self.jobs(draft, published, trigger: triggerId).map { "\($0.name) (\($0.id))" }.joined(separator: ", ")
                    throw PageError.badRequest(
                        "job \(jobId) is not a job of this workflow, so it cannot be the cron input source; choose Final run state or one of: \(names)")
                }
                let map = doc.array("triggers").values.compactMap { value -> YMap? in
                    guard case .map(let m) = value, case .any(.string(triggerId))? = m.get("id") else { return nil }
                    return m
                }.first
                guard let map, case .any(.string("cron"))? = map.get("type") else {
                    guard published.triggers.contains(where: { $0.id == triggerId && $0.type == .cron }) else {
                        throw PageError(status: .conflict, message: "trigger \(triggerId) is not a cron trigger of this workflow (an editor may have removed it)")
                    }
                    // The choice can only go to the published version, so the job must be there too.
                    if let jobId, !published.jobs.contains(where: { $0.id == jobId }) {
                        throw PageError(
                            status: .conflict,
                            message: "job \(jobId) is only in the document and trigger \(triggerId) only in the published version, so neither can take this choice; nothing was saved")
                    }
                    throw NotInDocument(reason: "trigger \(triggerId) is not a cron trigger of the document")
                }
                guard jobInDocument else { throw NotInDocument(reason: "job \(jobId ?? "") is not in the document") }
                doc.transact { txn in map.set("cron_cursor_job_id", jobId.map(YInput.string) ?? .null, txn) }
            }
        } catch let error as DocumentAccessError {
            throw PageError.forbidden("this token's project may not edit the document of workflow \(workflowId): \(error.reason)")
        } catch let error as NotInDocument {
            documentLeft = error.reason
        }
        let left = documentLeft
        let outcome = try await offPool { [store] in
            try Self.publishChoice(store, workflowId: workflowId, triggerId: triggerId, jobId: jobId, actor: viewer.actor, documentLeft: left)
        }
        // Nothing went into the document either: a publish in between took the trigger or job away.
        if let left, case .notPublished(let why) = outcome {
            throw PageError(status: .conflict, message: "nothing was saved: \(why) (and \(left)); reload the page")
        }
        return outcome
    }

    /// What the select of cron trigger `triggerId` offers: the document's
    /// jobs, then the published version's that the document lacks; only the
    /// published ones for a trigger the document lacks, whose choice can
    /// only be published. At most `WorkflowValidator.maxJobs`: a document
    /// (a draft) has no such bound, and the page lists these once per
    /// trigger; a draft with more could not be published anyway. Job
    /// `keeping` (the current choice), when either version has it, is
    /// always listed.
    static func jobs(_ draft: Workflow?, _ published: Workflow, trigger triggerId: String? = nil, keeping: String? = nil) -> [Job] {
        let all: [Job]
        if let draft, triggerId.map({ id in draft.triggers.contains { $0.id == id && $0.type == .cron } }) ?? true {
            let drafted = Set(draft.jobs.map(\.id))
            all = draft.jobs + published.jobs.filter { !drafted.contains($0.id) }
        } else {
            all = published.jobs
        }
        var listed = Array(all.prefix(WorkflowValidator.maxJobs))
        if let keeping, !listed.contains(where: { $0.id == keeping }), let kept = all.first(where: { $0.id == keeping }) {
            listed.append(kept)
        }
        return listed
    }

    /// Publishes the latest version with only the trigger's cursor changed,
    /// against that version (`basedOn`): a publish in between is a conflict,
    /// and the choice is then made again on what it published.
    static func publishChoice(
        _ store: Store, workflowId: String, triggerId: String, jobId: String?, actor: AuditActor, documentLeft: String? = nil
    ) throws -> Outcome {
        for _ in 0..<3 {
            guard var latest = try store.workflow(workflowId) else {
                return .notPublished("workflow \(workflowId) has no published version")
            }
            guard let index = latest.triggers.firstIndex(where: { $0.id == triggerId && $0.type == .cron }) else {
                return .notPublished(
                    "trigger \(triggerId) is not a cron trigger of published version \(latest.lockVersion)\(documentLeft == nil ? "; publish the document first" : "")")
            }
            if let jobId, !latest.jobs.contains(where: { $0.id == jobId }) {
                return .notPublished(
                    "job \(jobId) is not in published version \(latest.lockVersion)\(documentLeft == nil ? " (it is only in the document); publish the document first" : "")")
            }
            let basedOn = UInt32(latest.lockVersion)
            latest.triggers[index].cronCursorJobId = jobId
            do {
                return .published(try store.publish(latest, actor: actor, basedOn: basedOn), documentLeft: documentLeft)
            } catch PublishError.rejected(.versionConflict) {
                continue  // published meanwhile: choose again on that version
            } catch let error as PublishError {
                return .notPublished(error.description)
            }
        }
        return .notPublished("the workflow is being published by others; try again")
    }
}
