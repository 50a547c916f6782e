import Encoding
import Testing

@testable import YDoc

/// Review session 13 (commits a79edbb..9384a03): hostile updates the new
/// checks (`agrees`, `dropHeldPart`) still let through.
@Suite struct ReviewSession13Tests {
    /// One struct of `client` at `clock`: a string item with the given
    /// origin and right origin (at least one of them, so no parent on the wire).
    static func stringItem(client: UInt64, clock: UInt64, origin: ID?, rightOrigin: ID?, _ text: String) -> [UInt8] {
        var w = ByteWriter()
        w.writeVarUInt(1 as UInt64)  // one client
        w.writeVarUInt(1 as UInt64)  // one struct
        w.writeVarUInt(client)
        w.writeVarUInt(clock)
        var info: UInt8 = 4  // ContentString
        if origin != nil { info |= 0x80 }
        if rightOrigin != nil { info |= 0x40 }
        w.writeUInt8(info)
        if let origin {
            w.writeVarUInt(origin.client)
            w.writeVarUInt(origin.clock)
        }
        if let rightOrigin {
            w.writeVarUInt(rightOrigin.client)
            w.writeVarUInt(rightOrigin.clock)
        }
        w.writeVarString(text)
        w.writeVarUInt(0 as UInt64)  // no deletions
        return w.bytes
    }

    /// An item whose right origin lies inside the same struct as its
    /// origin, before it (crossed neighbours: no honest peer writes that).
    /// `missing` splits the struct at the origin's end, then again at the
    /// right origin, and the item is linked after the struct's first part:
    /// in the live document it sits between "01" and "2345". The state the
    /// document stores and sends (compaction, a step 2 answer) has the same
    /// clocks merged differently (["01"], ["23456789"]), so a replica
    /// loading it resolves the same origins to one struct as both left and
    /// right, YATA walks past it, and the item lands at the end. The room
    /// and every replica loaded from its stored state show different text,
    /// with equal state vectors, so nothing ever repairs it.
    @Test func crossedOriginsInOneStructIntegrateAlikeInTheRoomAndItsStoredState() throws {
        let doc = Doc(clientID: 100)
        let base = Doc(clientID: 1)
        base.transact { txn in base.text("t").insert(0, "0123456789", txn) }
        try doc.applyUpdate(try base.encodeStateAsUpdate())
        try doc.applyUpdate(
            Self.stringItem(client: 2, clock: 0, origin: ID(client: 1, clock: 5), rightOrigin: ID(client: 1, clock: 2), "X"))
        #expect(doc.integrityProblems().isEmpty)

        let stored = Doc(clientID: 7)
        try stored.applyUpdate(try doc.encodeStateAsUpdate(includingPending: true))
        #expect(stored.stateVector == doc.stateVector)
        #expect(stored.text("t").string == doc.text("t").string, "room \(doc.text("t").string), stored state \(stored.text("t").string)")
        #expect(stored.contentJSON() == doc.contentJSON())
        // Kept as a range, in both: crossed neighbours are not an honest peer's.
        #expect(doc.text("t").string == "0123456789")
    }
}
