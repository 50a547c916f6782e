import CairnKit
import TestSupport
import Testing
import YDoc

/// The diff from `before` (a state vector) to `doc`'s state.
private func change(_ doc: Doc, since before: [UInt8]) throws -> [UInt8] {
    try doc.encodeStateAsUpdate(stateVector: before)
}

/// Review R1: compaction must keep what is still pending (structs waiting
/// for a dependency the server never received, deletions of structs not
/// received yet): those updates were acknowledged.
@Suite struct CompactionKeepsPendingTests {
    /// Client 1 types "A"; client 2 sees it and types "B" after it: B's
    /// update, alone, waits for A's.
    static func typedAfter() throws -> (fromA: [UInt8], fromB: [UInt8]) {
        let a = Doc(clientID: 1)
        a.transact { txn in a.text("notes").insert(0, "A", txn) }
        let fromA = try a.encodeStateAsUpdate()
        let b = Doc(clientID: 2)
        try b.applyUpdate(fromA)
        let before = b.encodeStateVector()
        b.transact { txn in b.text("notes").insert(1, "B", txn) }
        return (fromA, try change(b, since: before))
    }

    @Test func aPendingUpdateSurvivesCompactionAndReloading() throws {
        let folder = TemporaryFolder()
        let (fromA, fromB) = try Self.typedAfter()

        // The server receives only B's update: it waits for A's struct.
        let store = try Store(path: folder.path)
        #expect(try store.applyDocumentUpdates("w", [fromB]).applied == 1)
        try store.documents.compact("w")
        #expect(try store.documents.tailCount("w") == 0)

        // Another process: A's update arrives at last.
        let reopened = try Store(path: folder.path)
        #expect(try reopened.applyDocumentUpdates("w", [fromA]).applied == 1)
        #expect(try Store(path: folder.path).documents.load("w").text("notes").string == "AB")
    }

    /// An export is the whole document, as Yjs exports it: what waits for
    /// a dependency too, so a peer holding that dependency gets everything.
    @Test func anExportCarriesPendingContent() throws {
        let folder = TemporaryFolder()
        let (fromA, fromB) = try Self.typedAfter()
        let store = try Store(path: folder.path)
        #expect(try store.applyDocumentUpdates("w", [fromB]).applied == 1)

        let peer = Doc(clientID: 3)
        try peer.applyUpdate(fromA)
        try peer.applyUpdate(try store.exportDocument("w"))
        #expect(peer.text("notes").string == "AB")
    }

    @Test func aPendingDeletionSurvivesCompactionAndReloading() throws {
        let folder = TemporaryFolder()
        let a = Doc(clientID: 1)
        a.transact { txn in a.text("notes").insert(0, "xyz", txn) }
        let fromA = try a.encodeStateAsUpdate()
        let b = Doc(clientID: 2)
        try b.applyUpdate(fromA)
        let before = b.encodeStateVector()
        b.transact { txn in b.text("notes").delete(1, 1, txn) }
        let deletion = try change(b, since: before)

        let store = try Store(path: folder.path)
        #expect(try store.applyDocumentUpdates("w", [deletion]).applied == 1)
        try store.documents.compact("w")

        let reopened = try Store(path: folder.path)
        #expect(try reopened.applyDocumentUpdates("w", [fromA]).applied == 1)
        #expect(try Store(path: folder.path).documents.load("w").text("notes").string == "xz")
    }

    /// The same through `append`'s own compaction, with pending structs of
    /// a client whose clocks have gaps, interleaved with content that is
    /// integrated.
    @Test func appendCompactingWithPendingGapsLosesNothing() throws {
        let folder = TemporaryFolder()
        let environment = try Store(path: folder.path).environment
        let documents = try DocumentStore(environment: environment, compactAfterUpdates: 3)
        let a = Doc(clientID: 1)
        var fromA: [[UInt8]] = []
        for i in 0..<6 {
            let before = a.encodeStateVector()
            a.transact { txn in a.text("notes").insert(a.text("notes").count, "\(i)", txn) }
            fromA.append(try change(a, since: before))
        }
        // The store gets A's 1st, 3rd and 5th edit (gaps at clocks 1 and 3
        // and 5), compacting twice on the way.
        for i in [0, 2, 4] { try documents.append("w", [fromA[i]]) }
        try documents.append("w", [fromA[0]])
        #expect(try documents.load("w").text("notes").string == "0")
        try documents.compact("w")
        for i in [1, 3, 5] { try documents.append("w", [fromA[i]]) }
        #expect(try documents.load("w").text("notes").string == "012345")
    }
}
