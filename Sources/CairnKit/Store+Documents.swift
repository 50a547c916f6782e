public import YDoc
public import Workflows
public import EventLog
import LMDB
import Foundation
import JSON

/// What applying a batch of update files did.
public struct DocumentApplyResult: Sendable {
    public var applied: Int
    /// (index in the batch, why) of each update refused.
    public var rejected: [(index: Int, reason: String)]
}

extension Store {
    /// Applies Yjs updates to a workflow's document. Each is checked by
    /// applying it; accepted ones are stored durably together. A malformed
    /// one is refused and the others still go in.
    public func applyDocumentUpdates(_ workflowId: String, _ updates: [[UInt8]]) throws -> DocumentApplyResult {
        let doc = try documents.load(workflowId)
        var accepted: [[UInt8]] = []
        var rejected: [(Int, String)] = []
        for (index, update) in updates.enumerated() {
            do {
                try doc.applyUpdate(update)
                accepted.append(update)
            } catch {
                rejected.append((index, "\(error)"))
            }
        }
        // The CLI acts for no project: a new document is its content's project's, if it names one.
        try documents.append(workflowId, accepted, owner: try ownerToRecord(workflowId, doc))
        // Documents from before cursors existed are upgraded once, as a change of their own.
        let before = doc.encodeStateVector()
        if !WorkflowDocument.upgradeLegacyCursors(doc).isEmpty {
            try documents.append(workflowId, [try doc.encodeStateAsUpdate(stateVector: before)])
        }
        return DocumentApplyResult(applied: accepted.count, rejected: rejected)
    }

    /// Whether any update was ever stored for the workflow's document.
    public func documentExists(_ workflowId: String) throws -> Bool { try documents.exists(workflowId) }

    /// The document as stored (every update applied), with a fresh client id.
    public func loadDocument(_ workflowId: String) throws -> Doc { try documents.load(workflowId) }

    /// The document with the revision it was read at, in one read: a
    /// later `documentRevision` differing means someone wrote since.
    public func loadDocumentWithRevision(_ workflowId: String) throws -> (Doc, UInt64) {
        try documents.loadWithRevision(workflowId)
    }

    /// How many writes the document has had (0: none).
    public func documentRevision(_ workflowId: String) throws -> UInt64 { try documents.revision(workflowId) }

    /// The project recorded at the document's first write, if any (see `documentOwner` for the full rule).
    public func recordedDocumentOwner(_ workflowId: String) throws -> String? { try documents.owner(workflowId) }

    /// The document's full state as one update.
    public func exportDocument(_ workflowId: String) throws -> [UInt8] {
        // Waiting (pending) content too, as Yjs exports it: a peer may hold what it waits for.
        try documents.load(workflowId).encodeStateAsUpdate(includingPending: true)
    }

    /// The repaired workflow of the document, with what was repaired.
    public func materializeDocument(_ workflowId: String) throws -> (workflow: Workflow, repairs: [Repair]) {
        let doc = try documents.load(workflowId)
        return WorkflowDocument.materialize(doc, projectId: try documentProject(workflowId, doc))
    }

    /// Publishes the document: materializes it, validates, and stores a new
    /// snapshot if the content changed — the same path as `publish(_:)`.
    /// Problems are written into the document's `errors` map (and the publish
    /// fails); they are cleared once fixed. With `publisher` (a token's
    /// project), the document must be that project's, checked in the
    /// publish's own transaction (`publish(_:publisher:)`), and the problems
    /// are written only where that project may write.
    public func publishDocument(
        _ workflowId: String, projectId: String? = nil, actor: AuditActor = .operator, publisher: String? = nil
    ) throws -> PublishResult {
        let doc = try documents.load(workflowId)
        // Checked again on what was just loaded: a token's route checked
        // before, and a first write by another project's editor may have
        // come since; its draft must not even be validated for the token
        // (the problems would tell it what the draft holds).
        if let publisher, try !mayEditDocument(workflowId, project: publisher) {
            throw DocumentAccessError(workflowId: workflowId, project: publisher)
        }
        let before = doc.encodeStateVector()
        let project = try projectId ?? documentProject(workflowId, doc)
        var (workflow, _) = WorkflowDocument.materialize(doc, projectId: project)
        if workflow.id.isEmpty { workflow.id = workflowId }
        var problems = WorkflowValidator.problems(in: workflow, published: { try? self.workflow(workflowId) })
        if workflow.id != workflowId {
            problems.append(WorkflowProblem(path: "workflow.id", message: "'\(workflow.id)' differs from the document's workflow \(workflowId)"))
        }
        WorkflowDocument.writeErrors(doc, problems)
        defer {
            // The problems written into the document are advice for its
            // editors, rewritten at every publish: failing to store them
            // must not turn the publish's own outcome into another error.
            if let change = try? doc.encodeStateAsUpdate(stateVector: before), change.count > 2 {
                // `owner`: a document from before owners, whose content names
                // the publisher's project (checked above), becomes its own, as
                // its editors' first write would make it.
                _ = try? appendDocument(workflowId, [change], owner: publisher, writer: publisher)
            }
        }
        if !problems.isEmpty { throw PublishError.invalid(WorkflowErrors(problems: problems)) }
        let result = try publish(workflow, actor: actor, publisher: publisher)
        // Published into a project: the document is that project's from now on
        // (how the CLI claims a document nobody owns, docs/http.md).
        try documents.setOwner(workflowId, workflow.projectId)
        if workflow.lockVersion != Int(result.lockVersion) {
            doc.transact { txn in doc.map("workflow").set("lock_version", .number(Double(result.lockVersion)), txn) }
        }
        return result
    }

    /// The project a document publishes into when none is given: its owner
    /// (`documentOwner`), else — documents in the reference layout carry no
    /// project — the data folder's only configured project, or `default`
    /// when none is configured. With several projects and no other clue:
    /// `nil` (ask). Never the content's `project_id` over an owner: the
    /// owner's editors may write anything there (docs/http.md, "Documents").
    func documentProject(_ workflowId: String, _ doc: Doc) throws -> String? {
        if let owner = try documentOwner(workflowId, content: doc) { return owner }
        let configured = try log.projectIds()
        if configured.count == 1 { return configured[0] }
        return configured.isEmpty ? Store.defaultProject : nil
    }

    /// The project a document belongs to, for the API's tokens: its latest
    /// snapshot's project (the workflow's, whoever drafted the document
    /// before it was published there), else the one recorded at its first
    /// write (`doc_owners`), else — a document stored before owners were
    /// recorded — the `project_id` its content names; else `nil`: a
    /// document nobody owns (only the CLI may claim it, by publishing it
    /// into a project), or no document at all.
    public func documentOwner(_ workflowId: String) throws -> String? {
        try documentOwner(workflowId, content: nil)
    }

    /// `documentOwner`, reading the content from `content` when given (the
    /// caller has it loaded) rather than from the store.
    func documentOwner(_ workflowId: String, content: Doc?) throws -> String? {
        try documentAccess(workflowId, content: content).owner
    }

    /// Who may edit the document as `txn` sees it, its latest snapshot's
    /// project being `published`: the one rule of `documentOwner`, read in
    /// one transaction, which may be a publish's (`publishAccessCheck`).
    func documentAccess(_ workflowId: String, published: String?, content: Doc?, _ txn: ReadTransaction) throws -> DocumentAccess {
        let exists = try documents.exists(workflowId, txn)
        if let published { return DocumentAccess(owner: published, exists: exists) }
        if let recorded = try documents.owner(workflowId, txn) { return DocumentAccess(owner: recorded, exists: exists) }
        if let content { return DocumentAccess(owner: Self.namedProject(content), exists: exists) }
        guard exists else { return DocumentAccess(owner: nil, exists: false) }
        return DocumentAccess(owner: Self.namedProject(try documents.load(workflowId, txn)), exists: true)
    }

    /// Whether a token of `project` may read and write the document (join
    /// its room, publish it): it is the project's, or there is no document
    /// yet (its first write makes it the writer's). `nil` (no token: an
    /// open server, the CLI) may do anything.
    public func mayEditDocument(_ workflowId: String, project: String?) throws -> Bool {
        guard project != nil else { return true }
        return try documentAccess(workflowId).allows(project)
    }

    /// Who may edit the document now, worked out once for a room's many
    /// connections. `content`, when given, is the document as the caller
    /// has it loaded, read instead of loading it again.
    public func documentAccess(_ workflowId: String, content: Doc? = nil) throws -> DocumentAccess {
        try environment.read { txn in
            try documentAccess(
                workflowId, published: try log.latestSnapshot(workflowId, in: txn)?.summary.projectId, content: content, txn)
        }
    }

    /// The owner to record with a write by `project` (`nil`: no token) whose
    /// result is `doc`, when the document has none recorded yet: the owner
    /// it already resolves to, else the project the content names, else the
    /// writer's. Throws when a token's write would make a new document
    /// another project's.
    public func ownerToRecord(_ workflowId: String, _ doc: Doc, writer project: String? = nil) throws -> String? {
        if try documents.owner(workflowId) != nil { return nil }
        if let resolved = try log.snapshot(workflowId)?.summary.projectId { return resolved }
        let named = Self.namedProject(doc)
        if let project, let named, named != project {
            throw DocumentAccessError(workflowId: workflowId, project: project, reason: "its content names project \(named)")
        }
        return project ?? named
    }

    /// Stores a token's updates to the document, checking in the write
    /// transaction itself that `writer`'s project may write it
    /// (`DocumentStore.append`): a check made earlier may be stale by then
    /// (another connection's or another process's first write, an
    /// operator's claim). Throws `DocumentAccessError`, storing nothing,
    /// when the document is another project's. `owner` is recorded if the
    /// document has none yet.
    public func appendDocument(_ workflowId: String, _ updates: [[UInt8]], owner: String?, writer: String?) throws -> UInt64 {
        try documents.append(workflowId, updates, owner: owner, writer: writer) { [log] txn in
            // In the append's transaction: a publish committed before it is seen,
            // one after it sees this write's owner (`publishAccessCheck`).
            try log.latestSnapshot(workflowId, in: txn)?.summary.projectId
        }
    }

    /// The check of a publish by a token of `publisher`
    /// (`PublishRequest.accessCheck`), made in the publish's transaction:
    /// the publisher must be allowed to edit the document there
    /// (`documentAccess`: the workflow's latest snapshot's project, else its
    /// document's owner; a document nobody owns is the operator's). Made
    /// earlier, a first write by another project's editor could land
    /// between the check and the publish, and that editor's draft would
    /// become the publisher's document.
    func publishAccessCheck(_ workflowId: String, publisher: String) -> @Sendable (String?, ReadTransaction) throws -> String? {
        { [self] published, txn in
            let access = try documentAccess(workflowId, published: published, content: nil, txn)
            if access.allows(publisher) { return nil }
            if published != nil { return "it belongs to another project" }
            if access.owner != nil { return "its document belongs to another project" }
            return "its document belongs to no project yet: an operator claims it (cairn doc publish --project)"
        }
    }

    /// The non-empty `workflow.project_id` of a document's content.
    static func namedProject(_ doc: Doc) -> String? {
        if case .any(.string(let id))? = doc.map("workflow").get("project_id"), !id.isEmpty { return id }
        return nil
    }

    /// The project of documents published in a data folder with no project configured.
    public static let defaultProject = "default"
}

/// Who may edit a document (`Store.mayEditDocument`), at one moment.
public struct DocumentAccess: Sendable, Equatable {
    /// `Store.documentOwner`.
    public let owner: String?
    /// Whether anything of the document is stored.
    public let exists: Bool

    /// Whether a token of `project` may read and write the document: it is
    /// the project's, or there is none yet. `nil` (no token) may.
    public func allows(_ project: String?) -> Bool {
        guard let project else { return true }
        if let owner { return owner == project }
        return !exists
    }
}

/// A token's project may not read or write a document of another project.
public struct DocumentAccessError: Error, CustomStringConvertible, Equatable {
    public let workflowId: String
    public let project: String
    public let reason: String

    public init(workflowId: String, project: String, reason: String = "it belongs to another project, or to none yet") {
        self.workflowId = workflowId
        self.project = project
        self.reason = reason
    }

    public var description: String { "project \(project) may not edit the document of workflow \(workflowId): \(reason)" }
}
