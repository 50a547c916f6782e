import CairnKit
import Foundation
import TestSupport
import Testing
import YDoc

@testable import CairnServer

/// On an open server (no tokens) a document whose content names no project
/// never gets an owner recorded; each write must not cost a copy of the
/// whole room document for all that (review of issue #17, R7).
@Suite struct DocumentHubOpenServerTests {
    /// A document of `keys` entries, as one update.
    static func large(keys: Int) throws -> [UInt8] {
        let doc = Doc(clientID: 1)
        doc.transact { txn in
            for key in 0..<keys { doc.map("positions").set("node-\(key)", .string("\(key),\(key)"), txn) }
        }
        return try doc.encodeStateAsUpdate()
    }

    /// The seconds `writes` one-key edits through the hub take, by an
    /// editor of `project` (`nil`: no token) on a large document.
    static func editingTime(project: String?, writes: Int) async throws -> Double {
        let folder = TemporaryFolder()
        let store = try Store(path: folder.path)
        try store.documents.append("w", [try large(keys: 4_000)], owner: project)
        let hub = DocumentHub(store: store)
        let (editor, _) = try await hub.join("w", project: project) { _ in }
        let doc = Doc(clientID: 2)
        var updates: [[UInt8]] = []
        doc.observeUpdates { updates.append($0) }
        for write in 0..<writes { doc.transact { txn in doc.map("workflow").set("name", .string("v\(write)"), txn) } }
        let clock = ContinuousClock()
        let elapsed = try await clock.measure {
            for update in updates { _ = try await hub.receive("w", from: editor, SyncMessage.update(update).encoded()) }
        }
        #expect(try store.documents.load("w").map("workflow").toJSON() == doc.map("workflow").toJSON())
        await hub.leave("w", editor)
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// An editor with no token costs about what one of a project costs
    /// (whose first write records the owner, so later ones skip the
    /// question), not a copy of the document per write.
    @Test func anOpenServersWritesDoNotCopyTheDocument() async throws {
        let writes = 60
        let owned = try await Self.editingTime(project: "p1", writes: writes)
        let open = try await Self.editingTime(project: nil, writes: writes)
        #expect(open < owned * 3 + 0.2, "\(writes) writes: \(owned) s by a project's editor, \(open) s with no token")
    }

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
