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
        let doc = Doc(clientID: clientID)
        doc.transact { txn in doc.map("workflow").set("name", .string(name), txn) }
        return try doc.encodeStateAsUpdate()
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
        var request = Store.publishRequest(for: try Self.workflow(project: "p1"))
        request.accessCheck = { _, _ in
            inTransaction.signal()
            release.wait()
            return nil
        }
        let submission = Submission(id: .random(), command: .publishWorkflow(request))
        let publish = Thread { _ = try? store.append([submission]) }
        publish.start()
        inTransaction.wait()

        let wrote = DispatchSemaphore(value: 0)
        let outcome = Locked<Result<UInt64, any Error>?>(nil)
        let write = Thread {
            outcome.set(Result { try store.appendDocument(Self.workflow, [try Self.edit("p2's", clientID: 2)], owner: "p2", writer: "p2") })
            wrote.signal()
        }
        write.start()
        // Long enough for a check made before the transaction to read
        // (and miss) the snapshot; the write then waits for the writer.
        Thread.sleep(forTimeInterval: 0.3)
        release.signal()
        wrote.wait()

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
}
