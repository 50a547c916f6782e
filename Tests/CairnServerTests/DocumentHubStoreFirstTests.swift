import CairnKit
import Foundation
import LMDB
import TestSupport
import Testing
import YDoc

@testable import CairnServer

/// An update reaches the room (and so every editor, through relays and
/// step 2 answers) only once it is stored (issue #17, item 14).
@Suite struct DocumentHubStoreFirstTests {
    @Test func anUpdateThatCouldNotBeStoredReachesNoEditor() async throws {
        let folder = TemporaryFolder()
        // A store that reads but cannot take one more write: at its map ceiling.
        let store = try Store(path: folder.path, options: .init(mapSize: 1 << 20, maxMapSize: 2 << 20))
        let hub = DocumentHub(store: store)
        let id = "w-doc"
        let heard = DocumentHubTests.Inbox()
        let (a, _) = try await hub.join(id) { _ in }
        let (b, _) = try await hub.join(id) { heard.add($0) }
        try SyncStoreFailureTests.fill(store)
        let editor = Doc(clientID: 1)
        editor.transact { txn in editor.map("workflow").set("name", .string("never stored"), txn) }
        await #expect(throws: (any Error).self) {
            try await hub.receive(id, from: a, SyncMessage.update(try editor.encodeStateAsUpdate()).encoded())
        }
        #expect(heard.all.isEmpty)
        #expect(try store.documents.revision(id) == 0)
        // A late editor's step 1 is answered from the room: without the update.
        let late = Doc(clientID: 2)
        let reply = try #require(try await hub.receive(id, from: b, SyncMessage.step1(stateVector: late.encodeStateVector()).encoded()))
        guard case .sync(.step2(let missing)) = try SyncMessage.decode(reply) else {
            Issue.record("expected step 2")
            return
        }
        try late.applyUpdate(missing)
        #expect(late.map("workflow").get("name") == nil)
    }
}
