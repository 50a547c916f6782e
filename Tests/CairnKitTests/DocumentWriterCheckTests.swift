import CairnKit
import Foundation
import TestSupport
import Testing
import Workflows
import YDoc

/// A token's write is checked in the store's write transaction itself, so
/// a check made earlier (by the hub, or by another process that passed it
/// too) cannot let one project's update into another project's document
/// (review of issue #17; docs/http.md, "Documents").
@Suite struct DocumentWriterCheckTests {
    static let workflow = "d2000000-0000-4000-8000-000000000002"

    static func edit(_ name: String, clientID: UInt64) throws -> [UInt8] {
        let doc = Doc(clientID: clientID)
        doc.transact { txn in doc.map("workflow").set("name", .string(name), txn) }
        return try doc.encodeStateAsUpdate()
    }

    /// Two servers both found the document new and let their editor write:
    /// the first write made it p1's, so p2's is refused and nothing of it stored.
    @Test func aSecondFirstWriteOfAnotherProjectIsRefused() throws {
        let folder = TemporaryFolder()
        let store = try Store(path: folder.path)
        try store.documents.append(Self.workflow, [try Self.edit("p1's", clientID: 1)], owner: "p1", writer: "p1")
        let revision = try store.documents.revision(Self.workflow)
        #expect(throws: DocumentAccessError(workflowId: Self.workflow, project: "p2", reason: "it belongs to project p1")) {
            try store.documents.append(Self.workflow, [try Self.edit("p2's", clientID: 2)], owner: "p2", writer: "p2")
        }
        #expect(try store.documents.revision(Self.workflow) == revision)
        #expect(try store.documents.owner(Self.workflow) == "p1")
        #expect(try store.documents.tailCount(Self.workflow) == 1)
        // The owner's editors, and the CLI (no writer), still write.
        try store.documents.append(Self.workflow, [try Self.edit("p1 again", clientID: 1)], writer: "p1")
        try store.documents.append(Self.workflow, [try Self.edit("operator", clientID: 3)])
        #expect(try store.documents.tailCount(Self.workflow) == 3)
    }

    /// The latest snapshot's project comes first, as in `Store.documentOwner`:
    /// a recorded owner left behind by an earlier draft does not let its
    /// project write into the workflow published elsewhere.
    @Test func thePublishedProjectDecidesOverTheRecordedOwner() throws {
        let folder = TemporaryFolder()
        let store = try Store(path: folder.path)
        _ = try store.publish(try WorkflowJSON.decode(Array(try Fixtures.sampleWorkflowJSON(project: "p2", workflowId: Self.workflow).utf8)))
        try store.documents.append(Self.workflow, [try Self.edit("draft", clientID: 1)], owner: "p1")
        #expect(try store.documentOwner(Self.workflow) == "p2")
        #expect(throws: DocumentAccessError.self) {
            try store.appendDocument(Self.workflow, [try Self.edit("p1's", clientID: 1)], owner: nil, writer: "p1")
        }
        #expect(try store.documents.tailCount(Self.workflow) == 1)
        _ = try store.appendDocument(Self.workflow, [try Self.edit("p2's", clientID: 2)], owner: nil, writer: "p2")
        #expect(try store.documents.tailCount(Self.workflow) == 2)
    }
}
