import CairnKit
import Foundation
import TestSupport
import Testing
import Workflows
import YDoc

/// Whose document it is: the latest snapshot's project before anything the
/// draft recorded, and never what its editors wrote into its content
/// (review of issue #17, R6; docs/http.md, "Documents").
@Suite struct DocumentOwnerPrecedenceTests {
    static let workflow = "d6000000-0000-4000-8000-000000000001"

    static func sample(project: String) throws -> Workflow {
        try WorkflowJSON.decode(Array(try Fixtures.sampleWorkflowJSON(project: project, workflowId: workflow, copy: 6).utf8))
    }

    /// The sample workflow as a draft naming `project`, as one update.
    static func draft(project: String) throws -> [UInt8] {
        let doc = Doc(clientID: 1)
        WorkflowDocument.populate(doc, with: try sample(project: project))
        return try doc.encodeStateAsUpdate()
    }

    /// An editor's change of the content's `workflow.project_id`.
    static func renameProject(_ store: Store, to project: String) throws {
        let doc = try store.documents.load(workflow)
        let before = doc.encodeStateVector()
        doc.transact { txn in doc.map("workflow").set("project_id", .string(project), txn) }
        try store.documents.append(workflow, [try doc.encodeStateAsUpdate(stateVector: before)])
    }

    /// p1 drafted the document; an operator then publishes the workflow into
    /// p3 (`cairn workflow publish`): the document is p3's, not p1's.
    @Test func theLatestSnapshotsProjectWinsOverTheDraftsOwner() throws {
        let folder = TemporaryFolder()
        let store = try Store(path: folder.path)
        try store.documents.append(Self.workflow, [try Self.draft(project: "p1")], owner: "p1")
        #expect(try store.documentOwner(Self.workflow) == "p1")

        _ = try store.publish(try Self.sample(project: "p3"))
        #expect(try store.documentOwner(Self.workflow) == "p3")
        #expect(try store.mayEditDocument(Self.workflow, project: "p3"))
        #expect(try store.mayEditDocument(Self.workflow, project: "p1") == false)
    }

    /// p1's editors rewrite the content's `project_id` to p2; a `cairn doc
    /// publish` without `--project` still publishes into p1, and the
    /// document stays p1's — with or without an earlier snapshot.
    @Test(arguments: [false, true]) func publishingWithoutAProjectKeepsTheOwners(publishedBefore: Bool) throws {
        let folder = TemporaryFolder()
        let store = try Store(path: folder.path)
        try store.documents.append(Self.workflow, [try Self.draft(project: "p1")], owner: "p1")
        if publishedBefore { _ = try store.publishDocument(Self.workflow) }
        try Self.renameProject(store, to: "p2")

        _ = try store.publishDocument(Self.workflow)
        #expect(try store.log.snapshot(Self.workflow)?.summary.projectId == "p1")
        #expect(try store.documentOwner(Self.workflow) == "p1")
        #expect(try store.mayEditDocument(Self.workflow, project: "p2") == false)
        #expect(try store.materializeDocument(Self.workflow).workflow.projectId == "p1")
    }

    /// A document nobody owns (stored before owners were recorded, never
    /// published): the project its content names is still the default.
    @Test func anUnownedDocumentPublishesIntoTheProjectItsContentNames() throws {
        let folder = TemporaryFolder()
        let store = try Store(path: folder.path)
        try store.documents.append(Self.workflow, [try Self.draft(project: "p1")])
        try Self.renameProject(store, to: "p2")
        _ = try store.publishDocument(Self.workflow)
        #expect(try store.log.snapshot(Self.workflow)?.summary.projectId == "p2")
        #expect(try store.documentOwner(Self.workflow) == "p2")
    }
}
