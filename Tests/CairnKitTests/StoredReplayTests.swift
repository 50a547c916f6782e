import CairnKit
import Encoding
import TestSupport
import Testing
import YDoc

/// An update nesting `levels` maps deep under root `root`, key `k`, from
/// one client (bytes written by hand: a document holding this must have
/// been stored before the limits existed).
private func nestedMaps(levels: Int, client: UInt64 = 9) -> [UInt8] {
    var w = ByteWriter()
    w.writeVarUInt(UInt64(1))
    w.writeVarUInt(UInt64(levels))
    w.writeVarUInt(client)
    w.writeVarUInt(UInt64(0))
    for clock in 0..<levels {
        w.writeUInt8(0x27)  // a type (ref 7), keyed, no origins
        if clock == 0 {
            w.writeVarUInt(UInt64(1))
            w.writeVarString("root")
        } else {
            w.writeVarUInt(UInt64(0))
            w.writeVarUInt(client)
            w.writeVarUInt(UInt64(clock - 1))
        }
        w.writeVarString("k")
        w.writeVarUInt(UInt64(1))  // a map
    }
    w.writeVarUInt(UInt64(0))
    return w.bytes
}

/// Review R2: the limits apply to new input; what is stored already is
/// replayed as it is, and a failed compaction never fails the append that
/// stored its update.
@Suite struct StoredUpdatesReplayTests {
    func text(_ client: UInt64, _ s: String) -> [UInt8] {
        let doc = Doc(clientID: client)
        doc.transact { txn in doc.text("notes").insert(0, s, txn) }
        return try! doc.encodeStateAsUpdate()
    }

    @Test func aStoredUpdatePastTheLimitsStillLoadsAndCompacts() throws {
        let folder = TemporaryFolder()
        let environment = try Store(path: folder.path).environment
        let documents = try DocumentStore(environment: environment, compactAfterUpdates: 3)
        // Stored as it is (before the limits): `append` stores what it is given.
        try documents.append("w", [nestedMaps(levels: Doc.maxNestingDepth + 20)])
        try documents.append("w", [text(2, "kept")])
        let doc = try documents.load("w")
        #expect(doc.text("notes").string == "kept")
        #expect(doc.map("root").get("k") != nil)
        // The third update crosses the threshold: compaction replays the deep one too.
        try documents.append("w", [text(3, "!")])
        #expect(try documents.tailCount("w") == 0)
        #expect(try documents.load("w").text("notes").string.count == 5)
        // And the document takes new edits through the checked path.
        let store = try Store(path: folder.path)
        #expect(try store.applyDocumentUpdates("w", [text(4, "?")]).applied == 1)
    }

    @Test func aStoredUpdateNamingTooManyClientsStillLoads() throws {
        let folder = TemporaryFolder()
        let documents = try Store(path: folder.path).documents
        let clients = Doc.maxClients + 1
        var w = ByteWriter()
        w.writeVarUInt(UInt64(clients))
        for client in 1...clients {
            w.writeVarUInt(UInt64(1))  // one struct
            w.writeVarUInt(UInt64(client))
            w.writeVarUInt(UInt64(0))
            w.writeUInt8(0)  // a GC range
            w.writeVarUInt(UInt64(1))
        }
        w.writeVarUInt(UInt64(0))
        try documents.append("w", [w.bytes, text(1 << 40, "hello")])
        let doc = try documents.load("w")
        #expect(doc.text("notes").string == "hello")
        #expect(doc.stateVector.count == clients + 1)
    }

    @Test func aFailedCompactionDoesNotFailTheAppend() throws {
        let folder = TemporaryFolder()
        let environment = try Store(path: folder.path).environment
        let documents = try DocumentStore(environment: environment, compactAfterUpdates: 2)
        try documents.append("w", [text(1, "a")])
        // Bytes no replay can read (a damaged record): every compaction of
        // this document fails from now on.
        let damaged: [UInt8] = [1, 2, 3]
        #expect(try documents.append("w", [damaged]) == 2)
        #expect(try documents.append("w", [text(2, "b")]) == 3)
        // Nothing was folded away: the tail still holds every update.
        #expect(try documents.tailCount("w") == 3)
        #expect(throws: (any Error).self) { try documents.compact("w") }
        #expect(try documents.tailCount("w") == 3)
    }
}
