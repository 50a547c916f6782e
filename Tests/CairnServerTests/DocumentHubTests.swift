import CairnKit
import Foundation
import TestSupport
import Testing
import YDoc

@testable import CairnServer

/// The y-protocols side of the sync endpoint, driven without sockets.
@Suite struct DocumentHubTests {
    final class Inbox: @unchecked Sendable {
        private let lock = NSLock()
        private var frames: [[UInt8]] = []
        func add(_ frame: [UInt8]) { lock.withLock { frames.append(frame) } }
        /// What has arrived so far. The hub sends through each connection's
        /// own task (`DocumentHub.Outbox`), so a frame it has sent may still
        /// be on its way: a test that expects frames waits for them with
        /// `arrived(_:)`, and reads `all` only to see that none came.
        var all: [[UInt8]] { lock.withLock { frames } }

        /// Waits (`eventually`) until at least `count` frames have
        /// arrived, then returns every frame that has.
        func arrived(_ count: Int) async -> [[UInt8]] {
            _ = await eventually { all.count >= count }
            return all
        }
    }

    @Test func twoEditorsSyncThroughTheHubAndEveryChangeIsStored() async throws {
        let folder = TemporaryFolder()
        let store = try Store(path: folder.path)
        let hub = DocumentHub(store: store)
        let inboxA = Inbox()
        let inboxB = Inbox()
        let (a, helloA) = try await hub.join("w") { inboxA.add($0) }
        let (b, _) = try await hub.join("w") { inboxB.add($0) }
        #expect(try SyncMessage.decode(helloA) == .sync(.step1(stateVector: Doc(clientID: 9).encodeStateVector())))

        // Editor A makes a change and sends it as an update.
        let editorA = Doc(clientID: 1)
        var updates: [[UInt8]] = []
        editorA.observeUpdates { updates.append($0) }
        editorA.transact { txn in editorA.map("workflow").set("name", .string("From A"), txn) }
        #expect(try await hub.receive("w", from: a, SyncMessage.update(updates[0]).encoded()) == nil)
        // B hears it; the store has it.
        #expect(try await inboxB.arrived(1).map(SyncMessage.decode) == [.sync(.update(updates[0]))])
        #expect(inboxA.all.isEmpty)
        #expect(try store.documents.load("w").map("workflow").toJSON() == editorA.map("workflow").toJSON())

        // Editor B joins late: its step 1 gets everything it lacks as step 2.
        let editorB = Doc(clientID: 2)
        let reply = try #require(try await hub.receive("w", from: b, SyncMessage.step1(stateVector: editorB.encodeStateVector()).encoded()))
        guard case .sync(.step2(let missing)) = try SyncMessage.decode(reply) else {
            Issue.record("expected step 2")
            return
        }
        try editorB.applyUpdate(missing)
        #expect(editorB.map("workflow").toJSON() == editorA.map("workflow").toJSON())

        // A malformed update is refused: nothing stored, nothing relayed.
        let before = inboxB.all.count
        await #expect(throws: YDocError.self) { try await hub.receive("w", from: a, SyncMessage.update([1, 2, 3]).encoded()) }
        #expect(inboxB.all.count == before)
        // Awareness frames are relayed as they are.
        _ = try await hub.receive("w", from: a, [1, 3, 0xAA, 0xBB, 0xCC])
        #expect(await inboxB.arrived(before + 1).last == [1, 3, 0xAA, 0xBB, 0xCC])
        await hub.leave("w", a)
        await hub.leave("w", b)
    }

    /// A write that does not come through the hub (a publish writing its
    /// problems into the document, the CLI, another process) reaches the
    /// editors of an open room: at the next frame, or at the next poll.
    @Test func writesFromElsewhereReachTheRoom() async throws {
        let folder = TemporaryFolder()
        let store = try Store(path: folder.path)
        let hub = DocumentHub(store: store)
        let inbox = Inbox()
        let (a, _) = try await hub.join("w") { inbox.add($0) }

        // Written straight to the store, as another writer would.
        let elsewhere = Doc(clientID: 5)
        var updates: [[UInt8]] = []
        elsewhere.observeUpdates { updates.append($0) }
        elsewhere.transact { txn in elsewhere.map("workflow").set("name", .string("From elsewhere"), txn) }
        try store.documents.append("w", updates)
        await hub.poll()
        let editor = Doc(clientID: 1)
        for frame in await inbox.arrived(1) {
            guard case .sync(.update(let update)) = try SyncMessage.decode(frame) else { continue }
            try editor.applyUpdate(update)
        }
        #expect(editor.map("workflow").toJSON() == elsewhere.map("workflow").toJSON())
        // Nothing new: the next poll sends nothing.
        let heard = inbox.all.count
        await hub.poll()
        #expect(inbox.all.count == heard)

        // Another outside write, then a frame from the editor: the hub catches up first.
        elsewhere.transact { txn in elsewhere.map("workflow").set("name", .string("Again"), txn) }
        try store.documents.append("w", [updates.last!])
        _ = try await hub.receive("w", from: a, SyncMessage.step1(stateVector: editor.encodeStateVector()).encoded())
        for frame in await inbox.arrived(heard + 1).dropFirst(heard) {
            guard case .sync(.update(let update)) = try SyncMessage.decode(frame) else { continue }
            try editor.applyUpdate(update)
        }
        #expect(editor.map("workflow").toJSON() == elsewhere.map("workflow").toJSON())
        await hub.leave("w", a)
    }

    @Test func syncFramesAreY_protocolsBytes() throws {
        #expect(SyncMessage.step1(stateVector: [0]).encoded() == [0, 0, 1, 0])
        #expect(SyncMessage.step2(update: [0, 0]).encoded() == [0, 1, 2, 0, 0])
        #expect(SyncMessage.update([9]).encoded() == [0, 2, 1, 9])
        #expect(try SyncMessage.decode([1, 5]) == .other(type: 1))
        #expect(throws: YDocError.self) { try SyncMessage.decode([0, 7, 0]) }
        #expect(throws: YDocError.self) { try SyncMessage.decode([0, 0, 5, 1]) }
    }
}

/// Blocking work (LMDB writes, their fsync) leaves Swift's cooperative pool
/// (docs/http.md, "No blocking on the event loop").
@Suite struct OffThePoolTests {
    @Test func theHubRunsOnItsOwnQueueAndPublishesRunOffThePool() async throws {
        let folder = TemporaryFolder()
        let hub = DocumentHub(store: try Store(path: folder.path))
        #expect(await hub.queueName() == "cairn.server.document-hub")
        #expect(try await offPool { currentQueueName() } == "cairn.server.blocking")
        #expect(currentQueueName() == nil)
    }
}
