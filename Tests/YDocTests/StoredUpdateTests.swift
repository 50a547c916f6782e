import Encoding
import Testing

@testable import YDoc

/// Review R2: what a store holds is replayed without the limits (they guard
/// new input), safely: a type past the nesting limit is kept only as a
/// range, and a malformed update still throws and changes nothing.
@Suite struct StoredUpdateTests {
    @Test func aStoredUpdatePastTheNestingLimitLoadsCutAtTheLimit() throws {
        let deep = nestedMapsUpdate(levels: Doc.maxNestingDepth + 100)
        let checked = Doc(clientID: 1)
        #expect(throws: YDocError.self) { try checked.applyUpdate(deep) }
        let doc = Doc(clientID: 1)
        try doc.applyStoredUpdate(deep)
        #expect(nestedDepth(doc.map("root").toJSON()) == Doc.maxNestingDepth)
        #expect(doc.stateVector[9] == UInt64(Doc.maxNestingDepth + 100))
        // New input is still checked against the limits.
        #expect(throws: YDocError.self) { try doc.applyUpdate(nestedMapsUpdate(levels: 50_000, client: 10, root: "other")) }
    }

    @Test func aStoredUpdateNamingMoreClientsThanTheLimitLoads() throws {
        var w = ByteWriter()
        let clients = Doc.maxClients + 1
        w.writeVarUInt(UInt64(clients))
        for client in 1...clients {
            w.writeVarUInt(UInt64(1))
            w.writeVarUInt(UInt64(client))
            w.writeVarUInt(UInt64(0))
            w.writeUInt8(0)  // a GC range of 1
            w.writeVarUInt(UInt64(1))
        }
        w.writeVarUInt(UInt64(0))
        #expect(throws: YDocError.tooManyClients(count: clients, limit: Doc.maxClients)) { try Doc().applyUpdate(w.bytes) }
        let doc = Doc(clientID: 1)
        try doc.applyStoredUpdate(w.bytes)
        #expect(doc.stateVector.count == clients)
    }

    @Test func aMalformedStoredUpdateStillThrowsAndChangesNothing() throws {
        let doc = Doc(clientID: 1)
        doc.transact { txn in doc.text("t").insert(0, "kept", txn) }
        let before = try doc.encodeStateAsUpdate()
        #expect(throws: YDocError.self) { try doc.applyStoredUpdate([1, 2, 3]) }
        #expect(try doc.encodeStateAsUpdate() == before)
    }
}
