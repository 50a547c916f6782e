import CairnKit
import Foundation
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing
import Workflows
import YDoc

@testable import CairnServer

/// A document never published belongs to the project that first wrote it:
/// no other project's token may join its room or publish it (issue #17, item 7).
@Suite struct DocumentOwnershipTests {
    typealias P = TwoProjects
    static let draft = "d1000000-0000-4000-8000-000000000001"

    /// The sample workflow as a draft of `project` (own workflow and trigger ids), as one update.
    static func draftUpdate(project: String?, clientID: UInt64 = 1) throws -> [UInt8] {
        let doc = Doc(clientID: clientID)
        WorkflowDocument.populate(doc, with: try WorkflowJSONDecoding.decode(try draftJSON(project: project ?? "")))
        if project == nil { doc.transact { txn in doc.map("workflow").delete("project_id", txn) } }
        return try doc.encodeStateAsUpdate()
    }

    /// The draft as workflow JSON of `project`.
    static func draftJSON(project: String) throws -> String {
        try Fixtures.sampleWorkflowJSON(project: project, workflowId: draft, copy: 3)
    }

    func publish(_ client: some TestClientProtocol, _ token: String, body: String = "") async throws -> HTTPResponse.Status {
        try await client.execute(
            uri: "/api/v1/workflows/\(Self.draft)/publish", method: .post, headers: P.auth(token), body: ByteBuffer(string: body)
        ) { $0.status }
    }

    @Test func anotherProjectCannotJoinOrPublishADraft() async throws {
        let p = try TwoProjects()
        let hub = DocumentHub(store: p.store)
        // p1's editor creates the draft through its room.
        let (a, _) = try await hub.join(Self.draft, project: "p1") { _ in }
        _ = try await hub.receive(Self.draft, from: a, SyncMessage.update(try Self.draftUpdate(project: "p1")).encoded())
        #expect(try p.store.documentOwner(Self.draft) == "p1")
        #expect(try p.store.log.snapshot(Self.draft) == nil)

        // p2 may not join (the sync route refuses the upgrade on the same rule) nor publish.
        await #expect(throws: DocumentAccessError.self) { try await hub.join(Self.draft, project: "p2") { _ in } }
        #expect(try p.store.mayEditDocument(Self.draft, project: "p2") == false)
        #expect(try p.store.mayEditDocument(Self.draft, project: "p1"))
        try await p.app.test(.router) { client async throws in
            #expect(try await publish(client, "t2") == .forbidden)
            // Nor take its id with a workflow body of its own.
            #expect(try await publish(client, "t2", body: try Self.draftJSON(project: "p2")) == .forbidden)
            #expect(try p.store.log.snapshot(Self.draft) == nil)
            #expect(try await publish(client, "t1") == .ok)
        }
        #expect(try p.store.log.snapshot(Self.draft)?.summary.projectId == "p1")
        await hub.leave(Self.draft, a)
    }

    /// Two projects in the room of a document nobody wrote yet: the first
    /// write makes it its writer's, and the other leaves the room.
    @Test func theFirstWriterOwnsANewDocument() async throws {
        let p = try TwoProjects()
        let hub = DocumentHub(store: p.store)
        let heardByB = DocumentHubTests.Inbox()
        let (a, _) = try await hub.join(Self.draft, project: "p1") { _ in }
        let (b, _) = try await hub.join(Self.draft, project: "p2") { heardByB.add($0) }
        _ = try await hub.receive(Self.draft, from: a, SyncMessage.update(try Self.draftUpdate(project: "p1")).encoded())
        #expect(heardByB.all.isEmpty)
        await #expect(throws: DocumentAccessError.self) {
            try await hub.receive(Self.draft, from: b, SyncMessage.step1(stateVector: Doc(clientID: 2).encodeStateVector()).encoded())
        }
        await #expect(throws: DocumentAccessError.self) {
            try await hub.receive(Self.draft, from: b, SyncMessage.update(try Self.draftUpdate(project: "p2", clientID: 2)).encoded())
        }
        guard case .any(.string(let named))? = try p.store.documents.load(Self.draft).map("workflow").get("project_id") else {
            Issue.record("the draft lost its project_id")
            return
        }
        #expect(named == "p1")
        // A new document naming another project than the writer's is refused.
        let (c, _) = try await hub.join("d2", project: "p2") { _ in }
        await #expect(throws: DocumentAccessError.self) {
            try await hub.receive("d2", from: c, SyncMessage.update(try Self.draftUpdate(project: "p1", clientID: 3)).encoded())
        }
        #expect(try p.store.documents.exists("d2") == false)
    }

    /// Documents stored before owners were recorded: their snapshot's
    /// project, else the one their content names; with neither, no token
    /// may touch them until the CLI publishes them (`cairn doc publish --project`).
    @Test func documentsFromBeforeOwnersAreResolvedOrLeftToTheCLI() async throws {
        let p = try TwoProjects()
        // Written as an older cairn did: no owner recorded.
        try p.store.documents.append(Self.draft, [try Self.draftUpdate(project: nil)])
        try p.store.documents.append("named", [try Self.draftUpdate(project: "p2")])
        #expect(try p.store.documentOwner(Self.draft) == nil)
        #expect(try p.store.documentOwner("named") == "p2")
        #expect(try p.store.mayEditDocument("named", project: "p1") == false)
        #expect(try p.store.mayEditDocument("named", project: "p2"))
        for project in ["p1", "p2"] { #expect(try p.store.mayEditDocument(Self.draft, project: project) == false) }
        try await p.app.test(.router) { client async throws in
            #expect(try await publish(client, "t1") == .forbidden)
            #expect(try await publish(client, "t2") == .forbidden)
        }
        // The CLI (no token) claims it by publishing it into a project.
        _ = try p.store.publishDocument(Self.draft, projectId: "p1")
        #expect(try p.store.documentOwner(Self.draft) == "p1")
        #expect(try p.store.mayEditDocument(Self.draft, project: "p1"))
        #expect(try p.store.mayEditDocument(Self.draft, project: "p2") == false)
    }
}
