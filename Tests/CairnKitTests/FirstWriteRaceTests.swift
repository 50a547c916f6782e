@testable import CairnKit
import EventLog
import Foundation
import TestSupport
import Testing
import Workflows
import YDoc

/// A workflow nobody has published or drafted yet can be claimed two ways at
/// once: a token of one project publishes it, an editor of another writes its
/// document first. Both checks are made in the write's own transaction, so
/// whichever commits first owns it and the other is refused, storing nothing
/// (docs/http.md, "Documents"). Checked before the transaction, a write
/// landing in between made the other project's draft the publisher's
/// document.
@Suite struct FirstWriteRaceTests {
    static let workflow = "d3000000-0000-4000-8000-000000000003"

    static func edit(_ name: String, clientID: UInt64) throws -> [UInt8] {
        try DocumentWriterCheckTests.edit(name, clientID: clientID)
    }

    static func workflow(project: String) throws -> Workflow {
        try WorkflowJSON.decode(Array(try Fixtures.sampleWorkflowJSON(project: project, workflowId: workflow).utf8))
    }

    /// p2's editor wrote first (its route, like p1's, found the id free):
    /// p1's token may no longer publish the workflow, and nothing is published.
    @Test func aPublishAfterAnotherProjectsFirstWriteIsRefused() throws {
        let folder = TemporaryFolder()
        let store = try Store(path: folder.path)
        _ = try store.appendDocument(Self.workflow, [try Self.edit("p2's draft", clientID: 2)], owner: "p2", writer: "p2")
        #expect(throws: DocumentAccessError(
            workflowId: Self.workflow, project: "p1", reason: "its document belongs to another project")) {
            try store.publish(try Self.workflow(project: "p1"), publisher: "p1")
        }
        #expect(try store.log.snapshot(Self.workflow) == nil)
        #expect(try store.documentOwner(Self.workflow) == "p2")
        // The owner's token publishes it; the operator (no publisher) is not asked.
        #expect(try store.publish(try Self.workflow(project: "p2"), publisher: "p2").lockVersion == 1)
    }

    /// The same through a publish of the document (an empty body): p1's
    /// route found no document, p2's editor then wrote a valid draft. The
    /// draft is not published as p1's, its owner is not moved, and p1's
    /// publish writes nothing into it.
    @Test func aDocumentPublishAfterAnotherProjectsFirstWriteIsRefused() throws {
        let folder = TemporaryFolder()
        let store = try Store(path: folder.path)
        let draft = Doc(clientID: 2)
        WorkflowDocument.populate(draft, with: try Self.workflow(project: "p2"))
        _ = try store.appendDocument(Self.workflow, [try draft.encodeStateAsUpdate()], owner: "p2", writer: "p2")
        let revision = try store.documentRevision(Self.workflow)
        #expect(throws: DocumentAccessError.self) {
            try store.publishDocument(Self.workflow, projectId: "p1", publisher: "p1")
        }
        #expect(try store.log.snapshot(Self.workflow) == nil)
        #expect(try store.recordedDocumentOwner(Self.workflow) == "p2")
        #expect(try store.documentRevision(Self.workflow) == revision)
        #expect(try store.publishDocument(Self.workflow, projectId: "p2", publisher: "p2").lockVersion == 1)
    }

    /// p2's draft is invalid: p1's token is refused before it is
    /// validated (a 422 would list what it holds), and nothing of p1's
    /// publish (its problems) is written into it.
    @Test func anotherProjectsInvalidDraftIsNotValidatedForAToken() throws {
        let folder = TemporaryFolder()
        let store = try Store(path: folder.path)
        let draft = Doc(clientID: 2)
        draft.transact { txn in
            draft.map("workflow").set("name", .string("p2's secret plan"), txn)
            draft.map("workflow").set("id", .string("d3000000-0000-4000-8000-0000000000ff"), txn)  // not the document's: invalid
        }
        _ = try store.appendDocument(Self.workflow, [try draft.encodeStateAsUpdate()], owner: "p2", writer: "p2")
        let revision = try store.documentRevision(Self.workflow)
        #expect(throws: DocumentAccessError(workflowId: Self.workflow, project: "p1")) {
            try store.publishDocument(Self.workflow, projectId: "p1", publisher: "p1")
        }
        #expect(try store.documentRevision(Self.workflow) == revision)
        // Its own project's token is told what is wrong, in the response and the document.
        #expect(throws: PublishError.self) { try store.publishDocument(Self.workflow, projectId: "p2", publisher: "p2") }
        #expect(try store.documentRevision(Self.workflow) == revision + 1)
    }

    /// A document from before owners were recorded, whose content names
    /// p1: p1's token publishing an invalid version of it has the problems
    /// written into it, and the document becomes p1's on record.
    @Test func aTokensProblemsGoIntoADocumentFromBeforeOwners() throws {
        let folder = TemporaryFolder()
        let store = try Store(path: folder.path)
        let doc = Doc(clientID: 5)
        doc.transact { txn in doc.map("workflow").set("project_id", .string("p1"), txn) }
        try store.documents.append(Self.workflow, [try doc.encodeStateAsUpdate()])
        #expect(throws: PublishError.self) { try store.publishDocument(Self.workflow, projectId: "p1", publisher: "p1") }
        #expect(try store.loadDocument(Self.workflow).map("errors").count > 0)
        #expect(try store.recordedDocumentOwner(Self.workflow) == "p1")
    }

    /// The workflow's snapshot decides, whoever drafted it: another
    /// project's token is refused with a 403's error (naming no project),
    /// not with the snapshot's project in a 422's.
    @Test func aPublishedWorkflowIsItsProjectsOnly() throws {
        let folder = TemporaryFolder()
        let store = try Store(path: folder.path)
        _ = try store.publish(try Self.workflow(project: "p1"))
        var changed = try Self.workflow(project: "p2")
        changed.name = "taken"
        #expect(throws: DocumentAccessError(workflowId: Self.workflow, project: "p2", reason: "it belongs to another project")) {
            try store.publish(changed, publisher: "p2")
        }
        #expect(try store.log.snapshot(Self.workflow)?.lockVersion == 1)
    }

    /// A document from before owners were recorded is its content's
    /// project's (`Store.documentOwner`); one naming no project is the
    /// operator's to claim, not a token's.
    @Test func aDocumentWithoutARecordedOwnerFollowsItsContent() throws {
        let folder = TemporaryFolder()
        let store = try Store(path: folder.path)
        let doc = Doc(clientID: 5)
        doc.transact { txn in doc.map("workflow").set("project_id", .string("p1"), txn) }
        try store.documents.append(Self.workflow, [try doc.encodeStateAsUpdate()])
        #expect(throws: DocumentAccessError.self) { try store.publish(try Self.workflow(project: "p2"), publisher: "p2") }
        #expect(try store.publish(try Self.workflow(project: "p1"), publisher: "p1").lockVersion == 1)

        let other = "d3000000-0000-4000-8000-000000000004"
        try store.documents.append(other, [try Self.edit("nobody's", clientID: 6)])
        let unowned = try WorkflowJSON.decode(Array(try Fixtures.sampleWorkflowJSON(project: "p1", workflowId: other, copy: 2).utf8))
        #expect(throws: DocumentAccessError.self) { try store.publish(unowned, publisher: "p1") }
        #expect(try store.publish(unowned).lockVersion == 1)
    }

    /// p1's publish is in its write transaction when p2's editor writes the
    /// first update: the write waits for the publish, then reads its
    /// snapshot in its own transaction and is refused. Read before (the old
    /// code), the snapshot was not there yet and p2's update went into what
    /// became p1's document.
    @Test func aFirstWriteDuringAPublishIsRefused() throws {
        let folder = TemporaryFolder()
        let store = try Store(path: folder.path)
        let inTransaction = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let published = DispatchSemaphore(value: 0)
        var request = Store.publishRequest(for: try Self.workflow(project: "p1"))
        let first = Locked(true)
        request.accessCheck = { _, _ in
            // Once: a transaction run again (the map grown) must not wait a second time.
            guard first.exchange(false) else { return nil }
            inTransaction.signal()
            _ = release.wait(timeout: .now() + 60)
            return nil
        }
        let submission = Submission(id: .random(), command: .publishWorkflow(request))
        let publishOutcome = Locked<Result<[AppendOutcome], any Error>?>(nil)
        Thread {
            publishOutcome.set(Result { try store.append([submission]) })
            published.signal()
        }.start()
        try #require(inTransaction.wait(timeout: .now() + 60) == .success, "the publish never reached its check")

        let wrote = DispatchSemaphore(value: 0)
        let outcome = Locked<Result<UInt64, any Error>?>(nil)
        Thread {
            outcome.set(Result { try store.appendDocument(Self.workflow, [try Self.edit("p2's", clientID: 2)], owner: "p2", writer: "p2") })
            wrote.signal()
        }.start()
        // Long enough for a check made before the transaction to read (and
        // miss) the snapshot; the write then waits for the writer. Shorter
        // on a stalled machine, the test still passes with the fix: it then
        // fails to tell the old code apart, never the other way round.
        Thread.sleep(forTimeInterval: 0.3)
        release.signal()
        try #require(published.wait(timeout: .now() + 60) == .success, "the publish never returned")
        try #require(wrote.wait(timeout: .now() + 60) == .success, "the write never returned")
        guard case .success(let outcomes)? = publishOutcome.get(), case .appended? = outcomes.first else {
            Issue.record("p1's publish did not go in: \(String(describing: publishOutcome.get()))")
            return
        }

        #expect(try store.log.snapshot(Self.workflow)?.summary.projectId == "p1")
        guard case .failure(let error)? = outcome.get() else {
            Issue.record("p2's first write was stored in p1's document: \(String(describing: outcome.get()))")
            return
        }
        #expect(error as? DocumentAccessError == DocumentAccessError(
            workflowId: Self.workflow, project: "p2", reason: "it belongs to project p1"))
        #expect(try store.documentExists(Self.workflow) == false)
        #expect(try store.recordedDocumentOwner(Self.workflow) == nil)
    }
}

/// A value shared with a thread, behind a lock.
private final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func set(_ new: Value) { lock.withLock { value = new } }
    func get() -> Value { lock.withLock { value } }
    /// Sets `new`, returning what was there.
    func exchange(_ new: Value) -> Value {
        lock.withLock {
            defer { value = new }
            return value
        }
    }
}
