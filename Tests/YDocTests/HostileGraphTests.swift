import Encoding
import TestSupport
import Testing

@testable import YDoc

/// Issue #20, fuzz finding 1: updates whose parent and neighbours disagree
/// (an item naming one type as its parent and an item of another type, or
/// of another key, as its origin) left items linked where their parent
/// could not find them. Links and parents are unretained, so once that
/// parent or the split item went, the document read freed memory. The
/// updates here are the fuzzer's reproducers (Fuzz/regressions), applied on
/// fixtures/ydoc/base.update. Without AddressSanitizer a freed read may go
/// unnoticed, so each test also walks the graph (`integrityProblems`), which
/// fails on the broken link itself.
@Suite struct HostileGraphTests {
    /// Reproducer of the read in `Transaction.fitsIn`: a type collected
    /// while an item of another list still named it as its parent.
    static let fitsIn = [
        "00010103940104980101990104",
        "02010195018701300506f09f9880c3a901019501220001950111736f757263655f747269676765725f6964020b7b226b223a5b312c325d7d013101010233043902",
        "0104019701c5019501013101312701066572726f72730a70726f6a6563745f696401c3019601010000000100",
    ]
    /// Reproducer of the read of `Item.right` of an item split while a
    /// dependency was resolved, and freed with the transaction.
    static let split = [
        "0201030024010565646765730874696d657a6f6e65010a00020000",
        "0204030124010565646765730761646170746f7204f09f988024010565646765730761646170746f7204f09f988083013a043affffff24010565646765730761646170746f7204f09f988003030824010565646765730761646170746f72010a880165017e8901940106f09f9880c3a97f0101010004",
        "0303030b24010565646765730e63726f6e5f6461795f6d6174636802616242013301053165393939870162050b53534d582455244d572742030200440301026162030109706f736974696f6e73020e014703000103030e240002030e63726f6e5f6461795f6d6174636804f09f98804401000161000100",
    ]

    static func updates(_ hex: [String]) -> [[UInt8]] { hex.map { [UInt8](hex: $0)! } }

    /// Reads everything the document holds, as the service and the CLI do.
    static func readAll(_ doc: Doc) throws {
        _ = workflowJSON(doc)
        for name in doc.rootNames { _ = doc.map(name).toJSON() }
        _ = try doc.encodeStateAsUpdate()
        _ = try doc.encodeStateAsUpdate(includingPending: true)
    }

    @Test(arguments: [("fitsIn", fitsIn), ("split", split)])
    func aHostileUpdateLeavesTheGraphSound(_ name: String, _ hex: [String]) throws {
        let doc = Doc(clientID: 1)
        try doc.applyUpdate(try update("base.update"))
        #expect(doc.integrityProblems().isEmpty)
        for (index, part) in Self.updates(hex).enumerated() {
            try? doc.applyUpdate(part)
            let problems = doc.integrityProblems()
            #expect(problems.isEmpty, "\(name), after update \(index): \(problems)")
            try Self.readAll(doc)
        }
        // A replica given the same updates agrees, and so does one that loads
        // the first document's state.
        let replica = Doc(clientID: 2)
        try replica.applyUpdate(try update("base.update"))
        for part in Self.updates(hex) { try? replica.applyUpdate(part) }
        #expect(replica.stateVector == doc.stateVector)
        #expect(workflowJSON(replica) == workflowJSON(doc))
        let loaded = Doc(clientID: 3)
        try loaded.applyUpdate(try doc.encodeStateAsUpdate())
        #expect(loaded.integrityProblems().isEmpty)
        #expect(workflowJSON(loaded) == workflowJSON(doc))
        #expect(loaded.contentJSON() == doc.contentJSON())
        #expect(replica.contentJSON() == doc.contentJSON())
    }

    /// Fuzz finding 2: a struct partly held already (other content at the
    /// same clocks), naming an origin the document lacks. It waited in the
    /// live document, while the state the document stores and sends sliced
    /// it at the held end, with its held part as its origin, so a replica
    /// loading that state integrated it: the stored document and the room
    /// differed ([1: 153] against [1: 149]). Its held part is now dropped
    /// when it is offered, as the slice does, so both integrate it.
    @Test func aPartlyHeldStructIsHeldAsTheStateSendsIt() throws {
        let doc = Doc(clientID: 1)
        try doc.applyUpdate(try update("base.update"))
        try doc.applyUpdate([UInt8](hex: "0101018f01019e0103650a000113123201371550025e128201018501371550025e128201038501019801ff5e0101")!)
        #expect(doc.integrityProblems().isEmpty)
        let state = try doc.encodeStateAsUpdate(includingPending: true)
        let copy = Doc(clientID: 2)
        try copy.applyUpdate(state)
        #expect(copy.stateVector == doc.stateVector)
        #expect(workflowJSON(copy) == workflowJSON(doc))
        #expect(copy.integrityProblems().isEmpty)
        #expect(try copy.encodeStateAsUpdate() == (try doc.encodeStateAsUpdate()))
    }

    /// Fuzz finding (ydoc-structured crash-bd58bcb6): a peer sent a struct
    /// under this replica's own client, at a clock it had not reached; it
    /// waited. This replica's next local edits filled the gap, so a copy
    /// loading its state (pending included) integrated the struct the
    /// replica itself still held waiting ([1000: 4] against [1000: 3]), and
    /// the peer and this replica had two structs under one id. As Yjs does,
    /// a replica whose own client arrives in an update takes a new one.
    @Test func aReplicaWhoseClientArrivesFromAPeerTakesANewOne() throws {
        let doc = Doc(clientID: 1000)
        doc.transact { txn in doc.map("lm").set("a", .number(1), txn) }
        // Another replica, also client 1000, at clock 3: clocks 1 and 2 are missing here.
        let peer = Doc(clientID: 1000)
        for n in 0..<4 { peer.transact { txn in peer.map("other").set("k", .number(Double(n)), txn) } }
        try doc.applyUpdate(peer.encodeStateAsUpdate(from: [1000: 3]))
        #expect(doc.pendingStructs[1000] != nil)
        try expectEditsGoUnderANewClient(doc, was: 1000, at: 1)

        // Integrated (not waiting) structs of its own client do the same.
        let other = Doc(clientID: 2000)
        let before = other.clientID
        try other.applyUpdate(try peerUpdate(client: 2000))
        #expect(other.clientID != before)
        // Its own updates coming back (a store replaying what it wrote) do not.
        let own = Doc(clientID: 3000)
        own.transact { txn in own.map("m").set("k", .number(1), txn) }
        try own.applyUpdate(try own.encodeStateAsUpdate())
        #expect(own.clientID == 3000)
    }

    /// Fuzz (ydoc-structured crash-35ec4b12, found once contents were
    /// compared): a peer deleted clocks of this replica's client it had not
    /// reached. The deletions waited; the replica's next edits took those
    /// clocks, and a copy of its state deleted them on load. Deletions of
    /// its own future clocks make a replica take a new client too.
    @Test func aReplicaWhoseFutureClocksArriveDeletedTakesANewClient() throws {
        let doc = Doc(clientID: 1000)
        doc.transact { txn in doc.map("lm").set("", .number(0), txn) }
        var w = ByteWriter()
        w.writeVarUInt(UInt64(0))  // no structs
        w.writeVarUInt(UInt64(1))  // deletions of one client:
        w.writeVarUInt(UInt64(1000))
        w.writeVarUInt(UInt64(1))  // one range, clocks 0 to 2 (1 and 2 not reached yet)
        w.writeVarUInt(UInt64(0))
        w.writeVarUInt(UInt64(3))
        try doc.applyUpdate(w.bytes)
        #expect(doc.clientID != 1000)
        doc.transact { txn in doc.map("lm").set("a", .number(1), txn) }
        doc.transact { txn in doc.map("lm").set("a", .number(2), txn) }
        try expectACopyOfItsStateAgrees(doc)
        #expect(doc.map("lm").toJSON() == .object([("a", .number(2))]))
    }

    /// Session 14's cold review: crossed neighbours of different clients.
    /// "g" (client 2) names "d" (1:0) as its origin and "a" (3:0), which lies
    /// before "d", as its right origin. YATA's walk from "d" stopped at the
    /// first item that did not conflict, and only running off the list's
    /// end was taken as a crossing; what follows "d" depends on what was
    /// integrated first. The room had "Z" (client 9) there already and
    /// linked "g" before it ("adgZ"); a replica loading the room's state
    /// integrates client 2 before client 9, runs off the end and keeps "g"
    /// as a range ("adZ"). The walk now goes on to the right neighbour
    /// whatever it decided, so both keep "g" as a range.
    @Test func crossedNeighboursOfOtherClientsAreARangeWhateverFollows() throws {
        let room = Doc(clientID: 1000)
        try room.applyUpdate(hexBytes("0101090004010174015a00"))
        try room.applyUpdate(hexBytes("030103000401017401610101008403000164010200c401000300016700"))
        #expect(room.text("t").string == "adZ")
        try expectACopyOfItsStateAgrees(room)
    }

    /// Fuzz (ydoc-structured crash-a4393288, session 14): neighbours that
    /// were never adjacent. "F" (client 1000) names "a" (1:0) as its origin
    /// and "d" (3:1) as its right origin, but "d"'s own origin, "c" (3:0),
    /// lies between them, and "d" cannot exist without "c" to its left: no
    /// honest peer writes that. YATA then placed a concurrent "z" (client 5,
    /// origin "c") by what had been integrated first: before "F" in the room,
    /// after "F" in a copy of the room's state, whose lanes integrate client
    /// 5 before client 6. Such an item is a range.
    @Test func neighboursThatWereNeverAdjacentAreARange() throws {
        let writer = Doc(clientID: 1)
        writer.transact { txn in writer.text("t").insert(0, "ab", txn) }
        let room = Doc(clientID: 1000)
        try room.applyUpdate(try writer.encodeStateAsUpdate())
        // Client 3 typed "cd" after "a": 3:0 "c", 3:1 "d" (origin 3:0).
        try room.applyUpdate(
            ReviewSession13Tests.stringItem(client: 3, clock: 0, origin: ID(client: 1, clock: 0), rightOrigin: nil, "cd"))
        // The forged "F": origin "a", right origin "d".
        try room.applyUpdate(
            ReviewSession13Tests.stringItem(
                client: 6, clock: 0, origin: ID(client: 1, clock: 0), rightOrigin: ID(client: 3, clock: 1), "F"))
        // A concurrent "z" after "c".
        try room.applyUpdate(
            ReviewSession13Tests.stringItem(client: 5, clock: 0, origin: ID(client: 3, clock: 0), rightOrigin: nil, "z"))
        #expect(!room.text("t").string.contains("F"))
        try expectACopyOfItsStateAgrees(room)
    }

    /// Fuzz (ydoc-structured crash-704f0049, session 14): a struct whose
    /// right origin was a later clock of its own client, one it covers
    /// itself. No honest peer names a unit of its own that does not exist
    /// yet. Resolved while the struct was being integrated, that neighbour
    /// was not there, so the item went after its origin; once a deletion
    /// split it, the state the room stores holds the pieces apart, each
    /// naming the other, and a replica loading it kept them as a range:
    /// "lo" in the room, nothing in the copy. Such a struct is a range
    /// everywhere.
    @Test func aStructNamingItsOwnClientsLaterClockIsARange() throws {
        let writer = Doc(clientID: 1)
        writer.transact { txn in writer.text("t").insert(0, "xy", txn) }
        let doc = Doc(clientID: 1000)
        try doc.applyUpdate(try writer.encodeStateAsUpdate())
        // Client 3 typed "ab" after "x"; a forged "hello" at the same clocks
        // follows with its right origin at 3:2, its own third unit.
        try doc.applyUpdate(
            ReviewSession13Tests.stringItem(client: 3, clock: 0, origin: ID(client: 1, clock: 0), rightOrigin: nil, "ab"))
        try doc.applyUpdate(
            ReviewSession13Tests.stringItem(
                client: 3, clock: 0, origin: ID(client: 1, clock: 0), rightOrigin: ID(client: 3, clock: 2), "hello"))
        var w = ByteWriter()
        w.writeVarUInt(UInt64(0))  // no structs; delete 3:2
        w.writeVarUInt(UInt64(1))
        w.writeVarUInt(UInt64(3))
        w.writeVarUInt(UInt64(1))
        w.writeVarUInt(UInt64(2))
        w.writeVarUInt(UInt64(1))
        try doc.applyUpdate(w.bytes)
        #expect(doc.text("t").string == "xyab")  // "ab" and "y" both follow "x": YATA orders them by client
        try expectACopyOfItsStateAgrees(doc)
    }

    /// Fuzz (ydoc-structured crash-e83ab4cb, the CI run of ccf4424): a
    /// peer's struct of another client named, as its right origin, a clock
    /// of this replica's client it had not reached. The struct waited on
    /// it; the replica's next local edit made that clock, so a copy loading
    /// its state (pending included) integrated the struct the replica still
    /// held waiting ([3: 2] against [3: 6]). A waiting struct that depends
    /// on this replica's future clocks is the same sign as its own client
    /// arriving: another replica uses the id. It takes a new one.
    @Test func aReplicaWhoseFutureClocksAStructWaitsOnTakesANewClient() throws {
        let doc = Doc(clientID: 1000)
        doc.transact { txn in doc.map("lm").set("a", .number(0), txn) }
        // Client 3's text item, right origin 1000:2 (this replica is at clock 1).
        try doc.applyUpdate(
            ReviewSession13Tests.stringItem(client: 3, clock: 0, origin: nil, rightOrigin: ID(client: 1000, clock: 2), "x"))
        #expect(doc.pendingStructs[3] != nil)
        try expectEditsGoUnderANewClient(doc, was: 1000, at: 1)
        // Waiting on another client's clocks changes nothing.
        let other = Doc(clientID: 2000)
        try other.applyUpdate(
            ReviewSession13Tests.stringItem(client: 3, clock: 0, origin: nil, rightOrigin: ID(client: 9, clock: 0), "x"))
        #expect(other.pendingStructs[3] != nil)
        #expect(other.clientID == 2000)
    }

    /// Fuzz finding 14 (ydoc-update, its first long run without ASan):
    /// applying one update twice moved the state vector. A waiting struct
    /// claimed clocks that an update then brought other structs for (two
    /// structs under one id: a forgery). The update's first struct took its
    /// clock, the waiting struct, cut after it, held the client's lane
    /// against the update's second one, and applying the update again
    /// integrated that. As Yjs does (`readUpdateV2`), an update's own
    /// structs now integrate before what waited, and what waits is kept as
    /// Yjs merges it (`Doc.waiting`). Yjs 13.6 gives the same: [6: 2], "ba".
    @Test func anUpdateAppliedTwiceChangesNothingTheSecondTime() throws {
        let writer = Doc(clientID: 6)
        writer.transact { txn in writer.text("t").insert(0, "a", txn) }
        writer.transact { txn in writer.text("t").insert(0, "b", txn) }  // a second struct: its right origin is "a"
        let update = try writer.encodeStateAsUpdate()
        let doc = Doc(clientID: 1)
        // Another struct at 6:0, waiting for client 9.
        try doc.applyUpdate(
            ReviewSession13Tests.stringItem(client: 6, clock: 0, origin: nil, rightOrigin: ID(client: 9, clock: 5), "xyz"))
        try doc.applyUpdate(update)
        let once = doc.stateVector
        #expect(once == [6: 2])
        #expect(doc.text("t").string == "ba")
        try doc.applyUpdate(update)
        #expect(doc.stateVector == once)
        #expect(doc.text("t").string == "ba")
        try expectACopyOfItsStateAgrees(doc)
    }

    /// Fuzz finding 18 (ydoc-structured, session 17, no ASan, on its kept
    /// corpus): applying one update twice moved the state vector again. The
    /// update's struct X at 5:1 names client 9, which is missing; the first
    /// time X is new, so it stops its lane and the GC after it joins the
    /// waiting structs, where the older waiting R claims 5:2. Meanwhile a
    /// waiting Q integrates at 5:1, so the second time X's id is held: it
    /// was skipped as held, and the GC took 5:2 at once. Yjs asks what a
    /// struct names before whether it is held (`integrateStructs`), so X
    /// stops its lane again: Yjs 13.6 gives [5: 2] after both applications.
    ///
    /// Since finding 25 the waiting structs merge as Yjs merges them. In
    /// Yjs the second time X and the GC (one run) take 5:1 and 5:2 before
    /// R, and the GC waits behind X, which Yjs holds and keeps waiting.
    /// Cairn keeps no held struct waiting (finding 19) and cuts what it
    /// holds before the merge, so that the merge does not depend on whether
    /// an update repeated held structs (finding 26): X is gone, the GC and
    /// R tie at 5:2, and the older R keeps it. [5: 2] both times, as in Yjs;
    /// once client 9 arrives, R is at 5:2 here and the GC is in Yjs
    /// ("qannnnnn"). X naming something missing at a held id is a rival
    /// (`sawTwoStructsForOneId`), where replicas may part (finding 21).
    @Test func aHeldIdNamingSomethingMissingStopsItsLane() throws {
        func update(_ structs: [(inout ByteWriter) -> Void], from clock: UInt64) -> [UInt8] {
            var w = ByteWriter()
            w.writeVarUInt(UInt64(1))
            w.writeVarUInt(UInt64(structs.count))
            w.writeVarUInt(UInt64(5))
            w.writeVarUInt(clock)
            for write in structs { write(&w) }
            w.writeVarUInt(UInt64(0))  // no deletions
            return w.bytes
        }
        func inRoot(_ text: String) -> (inout ByteWriter) -> Void {
            { w in w.writeUInt8(4); w.writeVarUInt(UInt64(1)); w.writeVarString("t"); w.writeVarString(text) }
        }
        func naming(_ flag: UInt8, _ client: UInt64, _ clock: UInt64, _ text: String) -> (inout ByteWriter) -> Void {
            { w in w.writeUInt8(flag | 4); w.writeVarUInt(client); w.writeVarUInt(clock); w.writeVarString(text) }
        }
        // Waiting: Q at 5:1 (5:0 is not here yet), R at 5:2 after the missing 9:0.
        let waiting = update([inRoot("q"), naming(0x80, 9, 0, "r")], from: 1)
        // A at 5:0, X at 5:1 left of the missing 9:5, a GC at 5:2.
        let twice = update([inRoot("a"), naming(0x40, 9, 5, "x"), { w in w.writeUInt8(0); w.writeVarUInt(UInt64(1)) }], from: 0)
        let doc = Doc(clientID: 1)
        try doc.applyUpdate(waiting)
        try doc.applyUpdate(twice)
        let once = (doc.stateVector, doc.text("t").string)
        #expect(once.0 == [5: 2])
        #expect(once.1 == "qa")
        try doc.applyUpdate(twice)
        #expect(doc.stateVector == once.0)
        #expect(doc.text("t").string == once.1)
        try expectACopyOfItsStateAgrees(doc)
        try doc.applyUpdate(hexBytes("0101090004010174066e6e6e6e6e6e00"))  // "nnnnnn" at 9:0
        #expect(doc.stateVector == [5: 3, 9: 6])
        #expect(doc.text("t").string == "qanrnnnnn")
        try expectACopyOfItsStateAgrees(doc)
    }

    /// Fuzz finding 25 (document-hub, session 20): waiting structs merge as
    /// Yjs's `mergeUpdatesV2` merges its pending update with an update's
    /// rest. Waiting: "abc" at 5:1 (after the missing 9:0), then "k" at 5:4,
    /// a run of the older update; then "wxyz" at 5:3 from a newer one. Yjs
    /// writes the older run whole before it looks at the newer struct, so
    /// "k" keeps 5:4 and "wxyz" keeps only 5:5 ("yz"). Sorting every struct
    /// by clock gave 5:4 to "wxyz" and dropped "k"; a room, fed the store's
    /// diff in place of the update, kept "k", and the two showed different
    /// content with one state vector. The updates below were written and
    /// applied in Yjs 13.6.31, which gives these results.
    @Test func aWaitingRunKeepsItsClocksAgainstAStructStartingInsideIt() throws {
        let doc = Doc(clientID: 1)
        try doc.applyUpdate(hexBytes("010105018409000361626300"))  // "abc" at 5:1, after 9:0
        try doc.applyUpdate(hexBytes("0101050404010174016b00"))  // "k" at 5:4
        try doc.applyUpdate(hexBytes("0101050304010174047778797a00"))  // "wxyz" at 5:3
        let waiting = doc.pendingStructs[5, default: []].map { "\($0.id.clock)+\($0.length)" }
        #expect(waiting == ["1+3", "4+1", "5+2"])
        #expect(doc.sawTwoStructsForOneId)  // "wxyz" and "abc" claim 5:3 with other units
        try expectACopyOfItsStateAgrees(doc)
        try doc.applyUpdate(hexBytes("0101050004010174017300"))  // "s" at 5:0
        try doc.applyUpdate(hexBytes("0101090004010174016f00"))  // "o" at 9:0
        #expect(doc.stateVector == [5: 7, 9: 1])
        #expect(doc.text("t").string == "kyzsoabc")
        try expectACopyOfItsStateAgrees(doc)
    }

    /// Two turns of Yjs's merge that only rivals can tell (found by the
    /// cold review of finding 25's fix). A GC range and an item waiting at
    /// one clock: the older source keeps the clock. Yjs's comparator calls
    /// each of the two first, and V8's sort swaps them ("abcs" and "s" in
    /// node); Cairn does as Yjs with a consistent comparator does (finding
    /// 26), which these first two cases pin. And a GC range merged into the
    /// one before it leaves its source to be compared again, so the other
    /// source may break into its run: the third case, Yjs 13.6.31 in node.
    @Test(arguments: [
        (["01010501000200", "01010501040101740361626300", "0101050004010174017300"], "s", [5: 4] as [UInt64: UInt64]),
        (["01010501040101740361626300", "01010501000200", "0101050004010174017300"], "abcs", [5: 4]),
        (["0104030100030a020002040101740361626300", "01040301000400020001000100", "0101030004010174017300"], "abcs", [3: 11]),
    ])
    func theWaitingMergeTakesYjssTurnsWithRivals(updates: [String], text: String, state: [UInt64: UInt64]) throws {
        let doc = Doc(clientID: 1)
        for update in updates { try doc.applyUpdate(hexBytes(update)) }
        #expect(doc.text("t").string == text)
        #expect(doc.stateVector == state)
        try expectACopyOfItsStateAgrees(doc)
    }

    /// A GC range merged into the one before it waits as one range, as Yjs
    /// writes the merge, so the next merge sees it whole (the second cold
    /// review of finding 25's fix: kept in pieces, the third update's
    /// "mno" at 3:12 lost its clocks to them). Three waiting updates of
    /// client 3, then "Z" at each clock from 0 to 29; Yjs 13.6.31 ends with
    /// this text and [3: 30].
    @Test func aMergedGCRangeWaitsWhole() throws {
        let doc = Doc(clientID: 1000)
        try doc.applyUpdate(hexBytes("010703010401017401620a0300010401017403676869000304010174036d6e6f000200"))
        try doc.applyUpdate(hexBytes("0103030400010002000200"))
        try doc.applyUpdate(hexBytes("0106030300010a03000100020002000300"))
        for clock in 0..<30 { try doc.applyUpdate(hexBytes("010103" + String(format: "%02x", clock) + "04010174015a00")) }
        #expect(doc.text("t").string == "ZZZZZZZZZZZZZmnoZbZ")
        #expect(doc.stateVector == [3: 30])
        try expectACopyOfItsStateAgrees(doc)
    }

    /// What follows a held struct that stopped its lane is offered again in
    /// the same update, as a copy loading the document's state offers it
    /// (the held struct is not kept waiting), so the document and its copy
    /// agree: Y integrates, [5: 3], "yab". Yjs keeps Y waiting here ([5: 2],
    /// "ab"), yet a copy Yjs loads from that state integrates it ([5: 3],
    /// "yab"): Yjs disagrees with itself, and a stored document compacted
    /// into its state must not (session 18 tried Yjs's way, and the
    /// document-hub fuzzer found the room and the store apart).
    @Test func whatFollowsAStoppedHeldStructIsOfferedAgain() throws {
        let doc = Doc(clientID: 1)
        try doc.applyUpdate(hexBytes("01020500040101740161840500016200"))  // "a" at 5:0, "b" at 5:1
        // X at 5:1 left of the missing 9:5, then Y at 5:2 in root t.
        let update = hexBytes("01020501440905017804010174017900")
        try doc.applyUpdate(update)
        #expect(doc.stateVector == [5: 3])
        #expect(doc.text("t").string == "yab")
        #expect(doc.sawTwoStructsForOneId == false)  // nothing waits: forgotten
        try expectACopyOfItsStateAgrees(doc)
        try doc.applyUpdate(update)
        #expect(doc.stateVector == [5: 3])
        #expect(doc.text("t").string == "yab")
    }

    /// Fuzz finding 19 (ydoc-structured, session 17): all of client 2's
    /// structs in the first update wait on client 2^40; the third brings
    /// other structs at 2:0–2, and one at 2:5. The first update's struct at
    /// 2:0, now held, is dropped from the waiting structs (the state could
    /// not carry it), so its struct at 2:3 integrates, and a second
    /// application of the third update puts its own struct at 2:5: client
    /// 2 goes to 5, then to 8. Yjs keeps the held struct waiting, stopping
    /// the lane (3 both times), but then a copy of its state differs from
    /// it (5); here every copy agrees, and the document says that two
    /// structs claimed one id, which is when applying twice may differ.
    @Test func aWaitingStructTheStoreHoldsIsDroppedSoCopiesAgree() throws {
        let doc = Doc(clientID: 1000)
        try doc.applyUpdate(hexBytes(
            "0300808080808020000602004180808080802000020301017408ee67a76372d6233924010565646765730004f09f9880848080808080200004f09f988008010565646765730175037f7f788480808080802000010a05ffffffff0f002201056564676573000109756e646566696e6564838080808080200003ffffff24010565646765730004f09f988024010874726967676572731263726f6e5f637572736f725f6a6f625f69640668c3a96c6c6f86020800027b7d02ffffffff0f01050402010504"))
        try doc.applyUpdate(hexBytes("0101e807000801026c610177017600"))
        let third = hexBytes("0305020084e8070004f09f9880240105656467657300010a0a0285ffffffff0f000b7b22696d616765223a317d0a0100030000010000")
        try doc.applyUpdate(third)
        #expect(doc.stateVector[2] == 5)
        #expect(doc.sawTwoStructsForOneId)
        try expectACopyOfItsStateAgrees(doc)
        try doc.applyUpdate(third)
        #expect(doc.stateVector[2] == 8)
        try expectACopyOfItsStateAgrees(doc)
    }

    /// Fuzz finding 21 (ydoc-structured, session 18, on a build that kept
    /// held structs waiting as Yjs does): in Yjs 13.6 the third update
    /// moves the state vector when applied a second time ([2^40: 5], then
    /// [2: 5, 2^40: 8]), through two structs for one id. Here the held
    /// struct does not wait, so the first application already reaches the
    /// second state, and a second changes nothing; copies agree.
    @Test func twoStructsForOneIdAsInFinding21() throws {
        let doc = Doc(clientID: 1000)
        try doc.applyUpdate(hexBytes("0301ffffffffffffff0f0088ffffffff0f15017402f7e201ffffffffffffff0f01000101010084ffffffffffffff0f01016100"))
        try doc.applyUpdate(hexBytes(
            "03038080808080200088ffffffff0f0903787ca84c0d7c7f00022101056564676573046e616d650305ffffffffffffff0f004480808080802001010a8780808080802004020001c88080808080200480808080802004017e86ffffffffffffff0f0104626f6c64027b7d030200c48080808080200580808080802000026162000284ffffffffffffff0f01010a02ffffffffffffff0f020103040102010302"))
        let third = hexBytes("03058080808080200000022801046a6f6273026964037c59d15cb57df3dfb3a684017c4a1c8f1f410100010001000100010000010000")
        try doc.applyUpdate(third)
        #expect(doc.stateVector == [1: 1, 2: 5, 1 << 40: 8, (1 << 53) - 1: 5])
        try expectACopyOfItsStateAgrees(doc)
        try doc.applyUpdate(third)
        #expect(doc.stateVector == [1: 1, 2: 5, 1 << 40: 8, (1 << 53) - 1: 5])
        #expect(doc.integrityProblems().isEmpty)
    }

    /// One update that waits, applied twice: its structs are the same
    /// both times, so nothing says two structs claimed one id.
    @Test func anUpdateThatWaitsAppliedTwiceIsNoRival() throws {
        let updates = updatesOf(client: 3, [
            { doc, txn in doc.text("t").insert(0, "abc", txn) },
            { doc, txn in doc.text("t").insert(1, "XY", txn) },
            { doc, txn in doc.map("m").set("k", .string("v"), txn) },
        ])
        let doc = Doc(clientID: 1)
        try doc.applyUpdate(updates[2])
        try doc.applyUpdate(updates[1])
        try doc.applyUpdate(updates[1])
        #expect(doc.stateVector.isEmpty)
        #expect(!doc.sawTwoStructsForOneId)
        try doc.applyUpdate(updates[0])
        #expect(doc.text("t").string == "aXYbc")
        #expect(!doc.sawTwoStructsForOneId)
    }

    /// One writer's structs in pieces that end apart, all waiting: its
    /// transaction, then a step 2 a peer computed against an older state
    /// vector (the hub relays it as it came), which repeats the
    /// transaction and goes on. The same units where they overlap: no
    /// rivals (the review of session 18 found these flagged).
    @Test func piecesOfOneWriterThatEndApartAreNoRivals() throws {
        let writer = Doc(clientID: 5)
        let updates = updatesOf(writer, [
            { doc, txn in doc.text("t").insert(0, "ab", txn) },
            { doc, txn in doc.text("t").insert(2, "cd", txn) },
            { doc, txn in doc.text("t").insert(4, "ef", txn) },
        ])
        let stepTwo = try writer.encodeStateAsUpdate(stateVector: hexBytes("010502"))  // 5:2–5, one struct
        let doc = Doc(clientID: 1)
        try doc.applyUpdate(updates[1])  // 5:2–3, waits for 5:0–1
        try doc.applyUpdate(stepTwo)
        #expect(doc.stateVector.isEmpty)
        #expect(!doc.sawTwoStructsForOneId)
        try doc.applyUpdate(updates[0])
        #expect(doc.text("t").string == "abcdef")
        #expect(!doc.sawTwoStructsForOneId)
    }

    /// Two writers forged as one client wait with other text at one id:
    /// rivals, until nothing waits any more (the older one won).
    @Test func rivalsAreForgottenOnceNothingWaits() throws {
        func second(_ text: String) -> (first: [UInt8], second: [UInt8]) {
            let updates = updatesOf(client: 5, [
                { doc, txn in doc.text("t").insert(0, "ab", txn) },
                { doc, txn in doc.text("t").insert(2, text, txn) },
            ])
            return (updates[0], updates[1])
        }
        let honest = second("cd")
        let forged = second("xy")
        let doc = Doc(clientID: 1)
        try doc.applyUpdate(honest.second)
        try doc.applyUpdate(forged.second)
        #expect(doc.sawTwoStructsForOneId)
        try doc.applyUpdate(honest.first)
        #expect(doc.text("t").string == "abcd")
        #expect(!doc.sawTwoStructsForOneId)
    }

    /// Fuzz finding 15 (ydoc-update, the same long run, at 1,229,775
    /// executions): an update listing client 3 twice, the two lists
    /// claiming the same clocks. The lists were joined, so the order the
    /// client's lane sorted equal clocks in decided what integrated, and a
    /// second application integrated another struct. As in Yjs, the later
    /// list replaces the earlier: Yjs 13.6 shows "xyz" here, and "ab" with
    /// the lists the other way round.
    @Test func aClientListedTwiceInOneUpdateKeepsTheLaterList() throws {
        // Two lists for client 3 at clock 0: "ab" (root t), then "xyz" (root t).
        let update = hexBytes("0201030004010174026162010300040101740378797a00")
        let doc = Doc(clientID: 1)
        try doc.applyUpdate(update)
        #expect(doc.text("t").string == "xyz")
        #expect(doc.stateVector == [3: 3])
        try doc.applyUpdate(update)
        #expect(doc.text("t").string == "xyz")
        #expect(doc.stateVector == [3: 3])
        let reversed = hexBytes("02010300040101740378797a01030004010174026162" + "00")
        let other = Doc(clientID: 1)
        try other.applyUpdate(reversed)
        #expect(other.text("t").string == "ab")
        try expectACopyOfItsStateAgrees(doc)
    }

    /// Fuzz finding 22 (ydoc-structured, session 18): an item whose origin
    /// and right origin are one unit, the first half of an emoji. Crossed,
    /// it is kept as a range, but resolving its origin first cut the emoji's
    /// item after that half, and a cut surrogate pair becomes U+FFFD twice
    /// (as in Yjs): the text changed here and not in a replica that got the
    /// range from here, which carries no origin to cut at. Now crossing is
    /// asked before anything is cut.
    @Test func aCrossedItemCutsNothing() throws {
        let typist = Doc(clientID: 5)
        typist.transact { txn in typist.text("t").insert(0, "x😀y", txn) }  // 5:0 x, 5:1–2 the emoji, 5:3 y
        let hostile = ReviewSession13Tests.stringItem(
            client: 6, clock: 0, origin: ID(client: 5, clock: 1), rightOrigin: ID(client: 5, clock: 1), "h")
        let doc = Doc(clientID: 1)
        try doc.applyUpdate(try typist.encodeStateAsUpdate())
        try doc.applyUpdate(hostile)
        #expect(doc.stateVector == [5: 4, 6: 1])
        #expect(doc.text("t").string == "x😀y")
        // A replica that gets this one's updates (the range, then the text) agrees.
        let relayed = Doc(clientID: 2)
        try relayed.applyUpdate(try doc.encodeStateAsUpdate())
        #expect(relayed.text("t").string == doc.text("t").string)
        try expectACopyOfItsStateAgrees(doc)
    }

    /// Fuzz finding 23 (ydoc-structured, session 18): an item that names
    /// the second half of an emoji as its right neighbour and nothing as
    /// its left is kept as a range (its neighbours were never adjacent),
    /// but only after resolving the right neighbour had cut the emoji's
    /// item, and a cut pair became U+FFFD twice. A replica fed the range
    /// cut nothing. Now a pair cut while neighbours are resolved becomes
    /// U+FFFD only if it is still cut when the transaction ends: here the
    /// halves merge back.
    @Test func aRangeThatNamedHalfAnEmojiLeavesItWhole() throws {
        let typist = Doc(clientID: 5)
        typist.transact { txn in typist.text("t").insert(0, "x😀y", txn) }
        // 6:0, deleted content, right origin 5:2 (the emoji's second half), no origin.
        let hostile = hexBytes("010106004105020100")
        let doc = Doc(clientID: 1)
        try doc.applyUpdate(try typist.encodeStateAsUpdate())
        try doc.applyUpdate(hostile)
        #expect(doc.stateVector == [5: 4, 6: 1])
        #expect(doc.text("t").string == "x😀y")
        // A replica with the text that gets only what this one sends of 6:0 (the range).
        let relayed = Doc(clientID: 2)
        try relayed.applyUpdate(try typist.encodeStateAsUpdate())
        try relayed.applyUpdate(try doc.encodeStateAsUpdate(stateVector: typist.encodeStateVector()))
        #expect(relayed.stateVector == doc.stateVector)
        #expect(try relayed.encodeStateAsUpdate() == doc.encodeStateAsUpdate())
        try expectACopyOfItsStateAgrees(doc)
    }

    /// A Yjs client types "h" between the halves of an emoji and deletes the
    /// first half, in one transaction: the second half still becomes U+FFFD,
    /// as in Yjs 13.6 (whose state is these bytes), although the first was
    /// collected before the end of the transaction (the cold review's case).
    @Test func aCutPairWhoseFirstHalfGoesInTheSameUpdateStillLosesTheSecond() throws {
        let doc = Doc(clientID: 1)
        try doc.applyUpdate(hexBytes("01010500040101740678f09f98807900"))  // "x😀y" as 5:0–3
        try doc.applyUpdate(hexBytes("01010600c40501050201680105010101"))  // "h" at 6:0 between; delete 5:1
        #expect(try doc.encodeStateAsUpdate() == hexBytes("02010600c40501050201680305000401017401788105000184050104efbfbd790105010101"))
        // The bytes would be the same with a lone half held (the encoder writes it as U+FFFD); the units differ.
        #expect(heldUnits(doc.text("t")) == [0x78, 0x68, 0xFFFD, 0x79])
    }

    /// Keyed items merge as Yjs merges them (its `mergeWith` has no
    /// condition on keys): a key set three times in one transaction is
    /// written as Yjs 13.6 writes it, the two overwritten values as one
    /// deleted struct.
    @Test func aKeySetThreeTimesIsWrittenAsYjsWritesIt() throws {
        let doc = Doc(clientID: 5)
        doc.transact { txn in
            for value in [1, 2, 3] { doc.map("m").set("k", .number(Double(value)), txn) }
        }
        #expect(try doc.encodeStateAsUpdate() == hexBytes("010205002101016d016b02a80501017d030105010002"))
        #expect(doc.map("m").toJSON() == .object([("k", .number(3))]))
    }

    /// A keyed text value whose emoji a range's neighbour cut: the cut
    /// merges back (keyed items merge), so the replica that integrated
    /// the range and one fed the value and then the range write the same.
    @Test func aKeyedPairCutByARangeMergesBack() throws {
        let value = hexBytes("010105002401016d016b04f09f988000")  // m.k = "😀" as 5:0–1
        let range = hexBytes("010106004105010100")  // 6:0, deleted, right origin 5:1, no origin
        let doc = Doc(clientID: 1)
        try doc.applyUpdate(value)
        try doc.applyUpdate(range)
        let fed = Doc(clientID: 2)
        try fed.applyUpdate(value)
        try fed.applyUpdate(try doc.encodeStateAsUpdate(stateVector: fed.encodeStateVector()))
        #expect(fed.stateVector == doc.stateVector)
        #expect(try fed.encodeStateAsUpdate() == doc.encodeStateAsUpdate())
    }

    /// An item typed between the halves of an emoji (a Yjs client inserting
    /// at a UTF-16 index inside it) cuts the pair, and both halves become
    /// U+FFFD, as in Yjs 13.6: "x\u{FFFD}h\u{FFFD}y".
    @Test func anItemBetweenTheHalvesOfAnEmojiReplacesThemAsYjsDoes() throws {
        let typist = Doc(clientID: 5)
        typist.transact { txn in typist.text("t").insert(0, "x😀y", txn) }
        let between = ReviewSession13Tests.stringItem(
            client: 6, clock: 0, origin: ID(client: 5, clock: 1), rightOrigin: ID(client: 5, clock: 2), "h")
        let doc = Doc(clientID: 1)
        try doc.applyUpdate(try typist.encodeStateAsUpdate())
        try doc.applyUpdate(between)
        #expect(doc.text("t").string == "x\u{FFFD}h\u{FFFD}y")
        // Held as U+FFFD, not as lone halves (which read the same as a
        // string, and would be written as U+FFFD too, but are not Yjs's units).
        #expect(heldUnits(doc.text("t")) == [0x78, 0xFFFD, 0x68, 0xFFFD, 0x79])
        try expectACopyOfItsStateAgrees(doc)
    }

    /// Crossed neighbours in structs of their own (fuzz, ydoc-structured
    /// crash-cd737611, after the review's case was fixed): the right origin
    /// starts the struct the origin ends, or lies in a struct before it that
    /// the chain of origins joins. Every replica, however its structs are
    /// split, keeps such an item as a range.
    @Test(arguments: [(3, 2), (3, 0), (1, 1), (3, 1)])
    func crossedNeighboursAreARangeHoweverTheStructsAreSplit(_ origin: UInt64, _ right: UInt64) throws {
        let typist = Doc(clientID: 1000)
        typist.transact { txn in typist.text("t").insert(0, "abcd", txn) }
        // Another client between b and c, and one after d: "abcd" is then held as "ab" and "cd".
        let other = Doc(clientID: 2)
        try other.applyUpdate(try typist.encodeStateAsUpdate())
        other.transact { txn in other.text("t").insert(2, "Z", txn) }
        other.transact { txn in other.text("t").insert(5, "e", txn) }
        let hostile = ReviewSession13Tests.stringItem(
            client: 3, clock: 0, origin: ID(client: 1000, clock: origin), rightOrigin: ID(client: 1000, clock: right), "H")
        let split = Doc(clientID: 5)
        try split.applyUpdate(try other.encodeStateAsUpdate())
        try split.applyUpdate(hostile)
        // The hostile item first, then the rest: "abcd" still whole when it arrives.
        let whole = Doc(clientID: 6)
        try whole.applyUpdate(try typist.encodeStateAsUpdate())
        try whole.applyUpdate(hostile)
        try whole.applyUpdate(try other.encodeStateAsUpdate())
        #expect(split.text("t").string == "abZcde")
        #expect(whole.text("t").string == split.text("t").string)
        let copy = Doc(clientID: 7)
        try copy.applyUpdate(try split.encodeStateAsUpdate(includingPending: true))
        #expect(copy.contentJSON() == split.contentJSON())
        #expect(split.integrityProblems().isEmpty && whole.integrityProblems().isEmpty)
    }

    /// The same, spread over three structs ("ab", "cd", "ef"): the check
    /// that looks back from the left struct stops after it (a right origin
    /// inside it is cut off by its own split), and the walk to the right
    /// neighbour decides the rest, alike in every replica
    /// (docs/documents.md, "Hostile updates").
    @Test(arguments: [(5, 0), (5, 1), (4, 0), (3, 0), (5, 3)])
    func crossedNeighboursOverThreeStructsAreARange(_ origin: UInt64, _ right: UInt64) throws {
        let typist = Doc(clientID: 1000)
        typist.transact { txn in typist.text("t").insert(0, "abcdef", txn) }
        let other = Doc(clientID: 2)
        try other.applyUpdate(try typist.encodeStateAsUpdate())
        other.transact { txn in other.text("t").insert(2, "Z", txn) }
        other.transact { txn in other.text("t").insert(5, "Y", txn) }
        let hostile = ReviewSession13Tests.stringItem(
            client: 3, clock: 0, origin: ID(client: 1000, clock: origin), rightOrigin: ID(client: 1000, clock: right), "H")
        let split = Doc(clientID: 5)
        try split.applyUpdate(try other.encodeStateAsUpdate())
        try split.applyUpdate(hostile)
        let whole = Doc(clientID: 6)
        try whole.applyUpdate(try typist.encodeStateAsUpdate())
        try whole.applyUpdate(hostile)
        try whole.applyUpdate(try other.encodeStateAsUpdate())
        #expect(split.text("t").string == "abZcdYef")
        #expect(whole.text("t").string == split.text("t").string)
        try expectACopyOfItsStateAgrees(split)
        try expectACopyOfItsStateAgrees(whole)
    }

    private func peerUpdate(client: UInt64) throws -> [UInt8] {
        let peer = Doc(clientID: client)
        peer.transact { txn in peer.map("m").set("k", .number(1), txn) }
        return try peer.encodeStateAsUpdate()
    }
}

/// What every test here ends on: a replica loading `doc`'s state (waiting
/// structs included, as compaction stores it) has the same state vector and
/// content, and both graphs are sound.
func expectACopyOfItsStateAgrees(_ doc: Doc, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let copy = Doc(clientID: 7)
    try copy.applyUpdate(try doc.encodeStateAsUpdate(includingPending: true))
    #expect(copy.stateVector == doc.stateVector, sourceLocation: sourceLocation)
    #expect(copy.contentJSON() == doc.contentJSON(), sourceLocation: sourceLocation)
    #expect(doc.integrityProblems().isEmpty && copy.integrityProblems().isEmpty, sourceLocation: sourceLocation)
}

/// After a received update that says another replica uses `doc`'s client
/// `old` (at clock `reached` here): `doc` has taken a new one, its local
/// edits go under it, and what waits keeps waiting, here and in a copy.
func expectEditsGoUnderANewClient(
    _ doc: Doc, was old: UInt64, at reached: UInt64, sourceLocation: SourceLocation = #_sourceLocation
) throws {
    #expect(doc.clientID != old, sourceLocation: sourceLocation)
    doc.transact { txn in doc.map("lm").set("b", .number(2), txn) }
    doc.transact { txn in doc.map("lm").set("c", .number(3), txn) }
    #expect(doc.stateVector[old] == reached, sourceLocation: sourceLocation)
    try expectACopyOfItsStateAgrees(doc, sourceLocation: sourceLocation)
}

/// The update each of `edits` makes, one transaction each, on `writer`
/// (a document of `client`).
func updatesOf(_ writer: Doc, _ edits: [(Doc, Transaction) -> Void]) -> [[UInt8]] {
    var updates: [[UInt8]] = []
    writer.observeUpdates { updates.append($0) }
    for edit in edits { writer.transact { txn in edit(writer, txn) } }
    return updates
}

func updatesOf(client: UInt64, _ edits: [(Doc, Transaction) -> Void]) -> [[UInt8]] {
    updatesOf(Doc(clientID: client), edits)
}

/// The UTF-16 units `text`'s live items hold, in order: where a lone half
/// of a surrogate pair and U+FFFD read and encode alike.
func heldUnits(_ text: YText) -> [UInt16] {
    var units: [UInt16] = []
    var item = text.type.start
    while let current = item {
        if !current.isDeleted, case .string(let content) = current.content { units += content.units() }
        item = current.right
    }
    return units
}

/// The bytes a hex string spells (two digits a byte).
func hexBytes(_ hex: String) -> [UInt8] {
    var out: [UInt8] = []
    var index = hex.startIndex
    while index < hex.endIndex {
        let next = hex.index(index, offsetBy: 2)
        out.append(UInt8(hex[index..<next], radix: 16)!)
        index = next
    }
    return out
}
