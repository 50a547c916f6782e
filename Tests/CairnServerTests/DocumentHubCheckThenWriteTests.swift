import CairnKit
import Foundation
import TestSupport
import Testing
import YDoc

@testable import CairnServer

/// The hub's access check and its write are not separated by a suspension
/// another writer can use: `receive` suspends in its catch-up (sending to
/// the room's editors), and whatever ran meanwhile — another connection's
/// frame, another process's write, an operator's claim — may have made the
/// document another project's. The check is made again after that
/// suspension, and once more inside the store's write transaction
/// (review of issue #17; docs/http.md, "Documents").
@Suite struct DocumentHubCheckThenWriteTests {
    typealias Access = DocumentHubAccessTests
    static let draft = DocumentOwnershipTests.draft

    /// Runs `action` the first time it is called, from inside a send.
    final class Once: @unchecked Sendable {
        private let lock = NSLock()
        private var done = false
        let action: @Sendable () -> Void
        init(_ action: @escaping @Sendable () -> Void) { self.action = action }
        func fire() {
            let first = lock.withLock { () -> Bool in
                defer { done = true }
                return !done
            }
            if first { action() }
        }
    }

    /// p1 owns the draft; p1's editors a and a2 are in the room, which is
    /// behind the store (a CLI write). The hub catches up (a poll), and
    /// its send to a2 (on a2's own outbox task, since the hub never waits
    /// for a socket) is where another process claims the document for p2;
    /// a's next frame comes after. Returns the hub and a.
    static func roomClaimedDuringCatchUp(_ p: TwoProjects) async throws -> (DocumentHub, Int) {
        let hub = DocumentHub(store: p.store)
        let (a, _) = try await hub.join(draft, project: "p1") { _ in }
        _ = try await hub.receive(draft, from: a, SyncMessage.update(try DocumentOwnershipTests.draftUpdate(project: "p1")).encoded())
        #expect(try p.store.documentOwner(draft) == "p1")
        let store = p.store
        let claim = Once { try? store.documents.setOwner(draft, "p2") }
        let (_, _) = try await hub.join(draft, project: "p1") { _ in claim.fire() }
        _ = try p.store.applyDocumentUpdates(draft, [try Access.rename("By the CLI", clientID: 40)])
        await hub.poll()
        // The claim fires on a2's outbox task, after the poll returns.
        try #require(try await eventually { try p.store.documentOwner(draft) == "p2" })
        return (hub, a)
    }

    @Test func anUpdateIsNotStoredInADocumentThatBecameAnotherProjectsDuringTheCatchUp() async throws {
        let p = try TwoProjects()
        let (hub, a) = try await Self.roomClaimedDuringCatchUp(p)
        let revision = try p.store.documents.revision(Self.draft)
        await #expect(throws: DocumentAccessError.self) {
            _ = try await hub.receive(Self.draft, from: a, SyncMessage.update(try Access.rename("From p1", clientID: 41)).encoded())
        }
        #expect(try p.store.documentOwner(Self.draft) == "p2")
        #expect(try p.store.documents.revision(Self.draft) == revision)
        guard case .any(.string(let name))? = try p.store.documents.load(Self.draft).map("workflow").get("name") else {
            Issue.record("the stored document has no name")
            return
        }
        #expect(name == "By the CLI")
    }

    @Test func aStepOneIsNotAnsweredWithADocumentThatBecameAnotherProjectsDuringTheCatchUp() async throws {
        let p = try TwoProjects()
        let (hub, a) = try await Self.roomClaimedDuringCatchUp(p)
        await #expect(throws: DocumentAccessError.self) {
            _ = try await hub.receive(Self.draft, from: a, SyncMessage.step1(stateVector: Doc(clientID: 50).encodeStateVector()).encoded())
        }
    }
}
