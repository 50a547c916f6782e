import Encoding
import Testing

@testable import YDoc

/// Raw update bytes, written with the project's own encoder as Yjs writes
/// them: `levels` maps, each set at key "k" of the one before, the first
/// under root map `root`, all by `client` from clock `from` on.
func nestedMapsUpdate(levels: Int, client: UInt64 = 9, from: Int = 0, root: String = "root") -> [UInt8] {
    var w = ByteWriter()
    w.writeVarUInt(UInt64(1))  // one client
    w.writeVarUInt(UInt64(levels))
    w.writeVarUInt(client)
    w.writeVarUInt(UInt64(from))
    for clock in from..<(from + levels) {
        w.writeUInt8(0x27)  // content type (ref 7), keyed (0x20), no origins
        if clock == 0 {
            w.writeVarUInt(UInt64(1))  // parent: a root, by name
            w.writeVarString(root)
        } else {
            w.writeVarUInt(UInt64(0))  // parent: the type held by item (client, clock - 1)
            w.writeVarUInt(client)
            w.writeVarUInt(UInt64(clock - 1))
        }
        w.writeVarString("k")
        w.writeVarUInt(UInt64(1))  // a map
    }
    w.writeVarUInt(UInt64(0))  // no deletions
    return w.bytes
}

/// How many maps hang below `json` through key "k". Walks down by replacing
/// the value it holds, so each level is freed before the next (a deep value
/// let go of at once would be freed recursively).
func nestedDepth(_ json: consuming Lib0Any) -> Int {
    var depth = 0
    var current = json
    while case .object(let members) = current, let inner = members.first(where: { $0.key == "k" })?.value {
        depth += 1
        current = inner
    }
    return depth
}

/// Issue #17, defect 3: nesting is bounded, and what walks nested types
/// (delete, collection, JSON, freeing) does not recurse per level.
@Suite struct NestingDepthTests {
    @Test func anUpdateNestingTooDeeplyIsRefusedAndChangesNothing() throws {
        let doc = Doc(clientID: 1)
        doc.transact { txn in doc.map("root").set("keep", .string("me"), txn) }
        let before = try doc.encodeStateAsUpdate()
        // As deep as the update made with Yjs 13.6.31 that crashed `cairn ydoc merge`.
        let deep = nestedMapsUpdate(levels: 150_000)
        #expect(throws: YDocError.nestedTooDeeply(client: 9, clock: UInt64(Doc.maxNestingDepth), limit: Doc.maxNestingDepth)) {
            try doc.applyUpdate(deep)
        }
        #expect(try doc.encodeStateAsUpdate() == before)
        #expect(doc.pendingStructs.isEmpty && doc.pendingDeletes.isEmpty)
        #expect(doc.map("root").toJSON() == .object([("keep", .string("me"))]))
    }

    @Test func aDocumentAtTheLimitWorksAndOneLevelMoreIsRefused() throws {
        let limit = Doc.maxNestingDepth
        let doc = Doc(clientID: 1)
        // In two updates, so the second's depth comes from the document.
        try doc.applyUpdate(nestedMapsUpdate(levels: limit / 2))
        try doc.applyUpdate(nestedMapsUpdate(levels: limit - limit / 2, from: limit / 2))
        #expect(nestedDepth(doc.map("root").toJSON()) == limit)
        // The innermost map, reached through handles, takes plain values.
        var map = doc.map("root")
        for _ in 0..<limit {
            guard case .map(let inner)? = map.get("k") else { Issue.record("a level is missing"); return }
            map = inner
        }
        doc.transact { txn in map.set("leaf", .number(1), txn) }
        #expect(map.toJSON() == .object([("leaf", .number(1))]))

        let state = try doc.encodeStateAsUpdate()
        let oneMore = nestedMapsUpdate(levels: 1, from: limit)
        #expect(throws: YDocError.nestedTooDeeply(client: 9, clock: UInt64(limit), limit: limit)) {
            try doc.applyUpdate(oneMore)
        }
        #expect(try doc.encodeStateAsUpdate() == state)

        // The one level too many, received before the levels it hangs from,
        // waits; the update completing the chain is then refused whole.
        let replica = Doc(clientID: 2)
        try replica.applyUpdate(oneMore)
        #expect(!replica.pendingStructs.isEmpty)
        #expect(throws: YDocError.nestedTooDeeply(client: 9, clock: UInt64(limit), limit: limit)) {
            try replica.applyUpdate(nestedMapsUpdate(levels: limit))
        }
        #expect(replica.stateVector.isEmpty)

        // The whole state loads in a fresh document (the compacted form a store keeps).
        let copy = Doc(clientID: 3)
        try copy.applyUpdate(state)
        #expect(try copy.encodeStateAsUpdate() == state)
    }

    /// A local edit cannot nest past the limit either: the type is not
    /// created (its struct keeps only its range), and peers agree.
    @Test func aLocalEditNestingPastTheLimitKeepsOnlyItsRange() throws {
        let limit = Doc.maxNestingDepth
        let doc = Doc(clientID: 1)
        try doc.applyUpdate(nestedMapsUpdate(levels: limit))
        var map = doc.map("root")
        for _ in 0..<limit {
            guard case .map(let inner)? = map.get("k") else { Issue.record("a level is missing"); return }
            map = inner
        }
        doc.transact { txn in
            map.set("k", .map([("x", .number(1))]), txn)
            map.set("plain", .string("kept"), txn)
        }
        #expect(map.get("k") == nil)
        #expect(map.toJSON() == .object([("plain", .string("kept"))]))
        let peer = Doc(clientID: 2)
        try peer.applyUpdate(try doc.encodeStateAsUpdate())
        #expect(try peer.encodeStateAsUpdate() == (try doc.encodeStateAsUpdate()))
        #expect(nestedDepth(peer.map("root").toJSON()) == limit)
    }

    /// Beyond the limit, as a document whose limit was raised: deleting,
    /// collecting, printing and freeing 150,000 levels must not use the
    /// stack per level (each crashed the process with SIGSEGV before).
    @Test func deepChainsAreWalkedWithoutRecursion() throws {
        let levels = 150_000
        let deep = nestedMapsUpdate(levels: levels)
        do {
            let doc = Doc(clientID: 1)
            doc.nestingLimit = levels
            try doc.applyUpdate(deep)
        }  // freed here
        let doc = Doc(clientID: 1)
        doc.nestingLimit = levels
        try doc.applyUpdate(deep)
        #expect(nestedDepth(doc.map("root").toJSON()) == levels)
        doc.transact { txn in doc.map("root").delete("k", txn) }  // deletes and collects every level
        #expect(doc.map("root").toJSON() == .object([]))
        #expect(doc.store.list(9)?.structs.allSatisfy { $0.isDeleted } == true)

        // The same deletion received by a replica.
        let replica = Doc(clientID: 2)
        replica.nestingLimit = levels
        try replica.applyUpdate(deep)
        try replica.applyUpdate(try doc.encodeStateAsUpdate())
        #expect(replica.map("root").toJSON() == .object([]))
        #expect(try replica.encodeStateAsUpdate() == (try doc.encodeStateAsUpdate()))
    }
}

/// Issue #17, defect 11: a handle to a nested type whose item was collected
/// (or merged into its neighbour) after a remote delete must not reach freed
/// memory; writing through it changes nothing, as in Yjs the write is
/// deleted at once.
@Suite struct DetachedTypeTests {
    func handle(_ doc: Doc, _ path: [String]) -> YMap? {
        var map = doc.map("root")
        for key in path {
            guard case .map(let inner)? = map.get(key) else { return nil }
            map = inner
        }
        return map
    }

    /// The inner map's item is replaced by a GC range when its parent map is collected.
    @Test func writingIntoAMapWhoseParentWasCollectedChangesNothing() throws {
        let a = Doc(clientID: 1)
        a.transact { txn in
            a.map("root").set("outer", .map([("inner", .map([("x", .number(1))]))]), txn)
        }
        let b = Doc(clientID: 2)
        try b.applyUpdate(try a.encodeStateAsUpdate())
        let inner = try #require(handle(b, ["outer", "inner"]))
        a.transact { txn in a.map("root").delete("outer", txn) }
        try b.applyUpdate(try a.encodeStateAsUpdate())
        let state = try b.encodeStateAsUpdate()

        b.transact { txn in
            inner.set("y", .number(2), txn)
            inner.set("z", .map([("deeper", .string("v"))]), txn)
            inner.delete("x", txn)
        }
        #expect(inner.toJSON() == .object([]))
        #expect(inner.keys.isEmpty)
        #expect(try b.encodeStateAsUpdate() == state)
        #expect(b.map("root").toJSON() == a.map("root").toJSON())
    }

    /// The map's item, collected, merges into its deleted left neighbour and leaves the store.
    @Test func writingIntoAMapWhoseItemWasMergedAwayChangesNothing() throws {
        let a = Doc(clientID: 1)
        a.transact { txn in
            a.array("list").append([.number(1), .map([("x", .number(1))]), .array([.string("s")]), .text("t")], txn)
        }
        let b = Doc(clientID: 2)
        try b.applyUpdate(try a.encodeStateAsUpdate())
        let values = b.array("list").values
        guard values.count == 4, case .map(let map) = values[1], case .array(let array) = values[2], case .text(let text) = values[3]
        else {
            Issue.record("unexpected values \(values)")
            return
        }
        a.transact { txn in try? a.array("list").delete(0, count: 4, txn) }
        try b.applyUpdate(try a.encodeStateAsUpdate())
        let state = try b.encodeStateAsUpdate()

        b.transact { txn in
            map.set("y", .number(2), txn)
            array.append([.string("more")], txn)
            #expect(throws: YDocError.self) { try array.insert(1, [.string("past the end")], txn) }
            try? array.insert(0, [.string("first")], txn)
            try? array.delete(0, txn)
            text.insert(0, "typed", txn)
            text.delete(0, 1, txn)
        }
        #expect(map.toJSON() == .object([]) && array.toJSON() == .array([]) && text.string.isEmpty)
        #expect(array.count == 0 && text.count == 0)
        #expect(try b.encodeStateAsUpdate() == state)
        #expect(b.array("list").toJSON() == .array([]))
    }
}

/// Issue #17, defect 8: an update naming very many clients is refused before
/// any per-client work, and below the limit many clients cost linear time.
@Suite struct ClientLimitTests {
    /// One GC struct of length 1 per client, clients from `first` on.
    func manyClientsUpdate(_ count: Int, first: UInt64 = 1_000) -> [UInt8] {
        var w = ByteWriter()
        w.writeVarUInt(UInt64(count))
        for client in first..<(first + UInt64(count)) {
            w.writeVarUInt(UInt64(1))
            w.writeVarUInt(client)
            w.writeVarUInt(UInt64(0))
            w.writeUInt8(0)  // GC
            w.writeVarUInt(UInt64(1))
        }
        w.writeVarUInt(UInt64(0))
        return w.bytes
    }

    /// Deletions of one unit of each of `count` clients.
    func manyClientsDeleteSet(_ count: Int) -> [UInt8] {
        var w = ByteWriter()
        w.writeVarUInt(UInt64(0))
        w.writeVarUInt(UInt64(count))
        for client in 1_000..<(1_000 + UInt64(count)) {
            w.writeVarUInt(client)
            w.writeVarUInt(UInt64(1))
            w.writeVarUInt(UInt64(0))
            w.writeVarUInt(UInt64(1))
        }
        return w.bytes
    }

    @Test func anUpdateNamingTooManyClientsIsRefused() throws {
        let doc = Doc(clientID: 1)
        doc.transact { txn in doc.map("m").set("k", .string("v"), txn) }
        let before = try doc.encodeStateAsUpdate()
        let count = 200_000
        let limit = Doc.maxClients
        #expect(throws: YDocError.tooManyClients(count: count, limit: limit)) { try doc.applyUpdate(manyClientsUpdate(count)) }
        #expect(throws: YDocError.tooManyClients(count: count, limit: limit)) { try doc.applyUpdate(manyClientsDeleteSet(count)) }
        #expect(try doc.encodeStateAsUpdate() == before)
        #expect(doc.pendingDeletes.isEmpty)
    }

    @Test func aDocumentDoesNotGrowPastTheClientLimit() throws {
        let limit = Doc.maxClients
        let doc = Doc(clientID: 1)
        try doc.applyUpdate(manyClientsUpdate(limit - 10))
        #expect(doc.stateVector.count == limit - 10)
        let state = try doc.encodeStateAsUpdate()
        // 20 more, 10 of them already known: one past the limit.
        #expect(throws: YDocError.tooManyClients(count: limit + 1, limit: limit)) {
            try doc.applyUpdate(manyClientsUpdate(21, first: 1_000 + UInt64(limit - 20)))
        }
        #expect(try doc.encodeStateAsUpdate() == state)
        try doc.applyUpdate(manyClientsUpdate(20, first: 1_000 + UInt64(limit - 20)))
        #expect(doc.stateVector.count == limit)
        // The full state, naming every client, loads again.
        let copy = Doc(clientID: 2)
        try copy.applyUpdate(try doc.encodeStateAsUpdate())
        #expect(copy.stateVector == doc.stateVector)
    }

    /// Many clients in one update give the document that the same structs
    /// give one client at a time (the path a peer's edits take).
    @Test func manyClientsInOneUpdateMatchOneAtATime() throws {
        let count = 20_000
        var separate: [[UInt8]] = []
        for i in 0..<count {
            let peer = Doc(clientID: 10_000 + UInt64(i))
            peer.observeUpdates { separate.append($0) }
            peer.transact { txn in peer.map("m").set("c\(i % 100)", .number(Double(i)), txn) }
        }
        let oneByOne = Doc(clientID: 2)
        for u in separate { try oneByOne.applyUpdate(u) }
        // A peer that deletes some of them: a delete set naming many clients.
        oneByOne.transact { txn in
            for key in 0..<50 { oneByOne.map("m").delete("c\(key)", txn) }
        }
        let all = try oneByOne.encodeStateAsUpdate()
        let atOnce = Doc(clientID: 3)
        try atOnce.applyUpdate(all)
        #expect(atOnce.stateVector.count == count)
        #expect(atOnce.map("m").toJSON() == oneByOne.map("m").toJSON())
        #expect(try atOnce.encodeStateAsUpdate() == all)
    }
}
