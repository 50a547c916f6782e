import CairnKit
import Foundation
import TestSupport
import Testing
import YDoc

@testable import CairnServer

/// On an open server (no tokens) the owner a document's content names is
/// read from the room's document as it stands, not from a copy of it per
/// write (review of issue #17, R7; the cost is measured, not timed in a
/// test: docs/reliability.md).
@Suite struct DocumentHubOpenServerTests {
    /// What the content names is still recorded, at the write after the
    /// one that named it; until then it is the owner all the same.
    @Test func anOpenServerRecordsTheProjectTheContentNames() async throws {
        let folder = TemporaryFolder()
        let store = try Store(path: folder.path)
        let hub = DocumentHub(store: store)
        let (editor, _) = try await hub.join("w") { _ in }
        let doc = Doc(clientID: 3)
        var updates: [[UInt8]] = []
        doc.observeUpdates { updates.append($0) }
        doc.transact { txn in doc.map("workflow").set("project_id", .string("p3"), txn) }
        doc.transact { txn in doc.map("workflow").set("name", .string("Named"), txn) }
        _ = try await hub.receive("w", from: editor, SyncMessage.update(updates[0]).encoded())
        #expect(try store.documentOwner("w") == "p3")
        _ = try await hub.receive("w", from: editor, SyncMessage.update(updates[1]).encoded())
        #expect(try store.documents.owner("w") == "p3")
        await hub.leave("w", editor)
    }
}
