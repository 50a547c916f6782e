import CairnKit
import Foundation
import TestSupport
import Testing
import YDoc

@testable import CairnServer

/// Who hears a room: every send (relay, awareness, catch-up) goes only to
/// connections whose project may edit the document at that moment, not
/// only to those that passed the check when they last sent a frame
/// (review of issue #17, R4; docs/http.md, "Documents").
@Suite struct DocumentHubAccessTests {
    typealias Ownership = DocumentOwnershipTests
    static let draft = DocumentOwnershipTests.draft

    /// Counts the times a connection was closed.
    final class Closes: @unchecked Sendable {
        private let lock = NSLock()
        private var times = 0
        func add() { lock.withLock { times += 1 } }
        var count: Int { lock.withLock { times } }
    }

    /// An edit of the workflow's name by a client of its own.
    static func rename(_ name: String, clientID: UInt64) throws -> [UInt8] {
        let doc = Doc(clientID: clientID)
        doc.transact { txn in doc.map("workflow").set("name", .string(name), txn) }
        return try doc.encodeStateAsUpdate()
    }

    /// p2 joins the room of a document nobody wrote yet and never sends a
    /// frame; the document is then first written outside the room (the
    /// CLI) as p1's. p2 hears none of it, nor any of p1's editing after,
    /// and its connection is closed.
    @Test func aSilentConnectionOfAnotherProjectHearsNothingOnceTheDocumentIsTheirs() async throws {
        let p = try TwoProjects()
        let hub = DocumentHub(store: p.store)
        let heardByB = DocumentHubTests.Inbox()
        let heardByA = DocumentHubTests.Inbox()
        let closedB = Closes()
        let closedA = Closes()
        let (_, _) = try await hub.join(Self.draft, project: "p2") { heardByB.add($0) } close: { closedB.add() }
        let (a, _) = try await hub.join(Self.draft, project: "p1") { heardByA.add($0) } close: { closedA.add() }

        _ = try p.store.applyDocumentUpdates(Self.draft, [try Ownership.draftUpdate(project: "p1")])
        #expect(try p.store.documentOwner(Self.draft) == "p1")
        await hub.poll()
        #expect(await heardByA.arrived(1).count == 1)  // the owner's editor catches up
        #expect(await eventually { closedB.count == 1 })  // closed on a task of its own

        // p1's editors go on: a second one joins, edits and shows its cursor.
        let heardByA2 = DocumentHubTests.Inbox()
        let (a2, _) = try await hub.join(Self.draft, project: "p1") { heardByA2.add($0) }
        _ = try await hub.receive(Self.draft, from: a2, SyncMessage.update(try Self.rename("Secret", clientID: 7)).encoded())
        _ = try await hub.receive(Self.draft, from: a2, [1, 3, 0xAA, 0xBB])
        #expect(await heardByA.arrived(3).count == 3)
        #expect(heardByB.all.isEmpty)
        #expect(closedB.count == 1)
        #expect(closedA.count == 0)
        await hub.leave(Self.draft, a)
        await hub.leave(Self.draft, a2)
    }

    /// Before the first write anyone may join, but an editor's awareness
    /// (name, cursor) reaches only its own project's editors.
    @Test func awarenessBeforeTheFirstWriteStaysInItsProject() async throws {
        let p = try TwoProjects()
        let hub = DocumentHub(store: p.store)
        let heardByA2 = DocumentHubTests.Inbox()
        let heardByB = DocumentHubTests.Inbox()
        let (a, _) = try await hub.join(Self.draft, project: "p1") { _ in }
        let (a2, _) = try await hub.join(Self.draft, project: "p1") { heardByA2.add($0) }
        let closedB = Closes()
        let (b, _) = try await hub.join(Self.draft, project: "p2") { heardByB.add($0) } close: { closedB.add() }
        _ = try await hub.receive(Self.draft, from: a, [1, 3, 0xAA, 0xBB])
        #expect(await heardByA2.arrived(1) == [[1, 3, 0xAA, 0xBB]])
        #expect(heardByB.all.isEmpty)
        // Still free to write first: nothing is the other project's yet.
        #expect(closedB.count == 0)
        _ = try await hub.receive(Self.draft, from: b, [1, 3, 0xCC])
        #expect(heardByB.all.isEmpty)
        #expect(heardByA2.all.count == 1)
        #expect(try p.store.documents.exists(Self.draft) == false)
        for id in [a, a2, b] { await hub.leave(Self.draft, id) }
    }
}
