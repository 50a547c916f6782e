import Encoding
import TestSupport
import Testing

@testable import YDoc

/// Seeded random multi-client sessions in the spirit of Yjs's
/// `applyRandomTests`: several documents edit maps, arrays and texts at
/// random, exchange updates in random order with duplicates and delays; once
/// everything is delivered every document must be equal.
@Suite struct ConvergenceTests {
    static func json(_ doc: Doc) -> Lib0Any {
        .object([("m", doc.map("m").toJSON()), ("a", doc.array("a").toJSON()), ("t", .string(doc.text("t").string))])
    }

    static func randomEdit(_ doc: Doc, _ rng: inout SplitMix64) {
        doc.transact { txn in
            let map = doc.map("m")
            let array = doc.array("a")
            let text = doc.text("t")
            switch rng.next() % 9 {
            case 0, 1:
                let key = "k\(rng.next() % 5)"
                switch rng.next() % 4 {
                case 0: map.set(key, .map([("x", .number(Double(rng.next() % 100)))]), txn)
                case 1: map.set(key, .text("nested"), txn)
                default: map.set(key, .number(Double(rng.next() % 1000)), txn)
                }
            case 2: map.delete("k\(rng.next() % 5)", txn)
            case 3:
                let index = Int(rng.next() % UInt64(array.count + 1))
                let values: [YInput] = (0..<Int(rng.next() % 3) + 1).map { _ in
                    rng.next() % 5 == 0 ? .array([.string("in")]) : .number(Double(rng.next() % 100))
                }
                try? array.insert(index, values, txn)
            case 4:
                if array.count > 0 {
                    let index = Int(rng.next() % UInt64(array.count))
                    try? array.delete(index, count: Int(rng.next() % UInt64(min(3, array.count - index))) + 1, txn)
                }
            case 5, 6, 7:
                let index = Int(rng.next() % UInt64(text.count + 1))
                let word = String((0..<Int(rng.next() % 4) + 1).map { _ in Character(Unicode.Scalar(UInt8(97 + rng.next() % 26))) })
                text.insert(index, rng.next() % 10 == 0 ? word + "é😀" : word, txn)
            default:
                if text.count > 0 {
                    let index = Int(rng.next() % UInt64(text.count))
                    text.delete(index, Int(rng.next() % 4) + 1, txn)
                }
            }
        }
    }

    @Test(arguments: [UInt64(1), 2, 3, 4, 5, 6, 7, 8])
    func randomSessionsConverge(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let docs = (0..<4).map { Doc(clientID: UInt64($0) * 1_000 + seed) }
        var inFlight: [(to: Int, update: [UInt8])] = []
        var seen = docs.map { _ in [UInt64: UInt64]() }
        for _ in 0..<300 {
            let actor = Int(rng.next() % UInt64(docs.count))
            Self.randomEdit(docs[actor], &rng)
            if rng.next() % 3 == 0 {
                // Send what changed since this doc last sent, to a random peer (sometimes twice).
                let update = docs[actor].encodeStateAsUpdate(from: seen[actor])
                seen[actor] = docs[actor].stateVector
                let peer = Int(rng.next() % UInt64(docs.count))
                inFlight.append((peer, update))
                if rng.next() % 5 == 0 { inFlight.append((peer, update)) }
            }
            if !inFlight.isEmpty && rng.next() % 2 == 0 {
                let message = inFlight.remove(at: Int(rng.next() % UInt64(inFlight.count)))
                try docs[message.to].applyUpdate(message.update)
            }
        }
        for message in inFlight.shuffled(using: &rng) { try docs[message.to].applyUpdate(message.update) }
        // Full sync: everyone sends everything to everyone, in random order.
        let everything = docs.map { try! $0.encodeStateAsUpdate() }
        for doc in docs {
            for update in everything.shuffled(using: &rng) { try doc.applyUpdate(update) }
        }
        let reference = Self.json(docs[0])
        for (i, doc) in docs.enumerated() {
            #expect(Self.json(doc) == reference, "seed \(seed): doc \(i) differs")
            #expect(doc.stateVector == docs[0].stateVector, "seed \(seed)")
            #expect(doc.pendingStructs.isEmpty, "seed \(seed)")
            #expect(doc.integrityProblems().isEmpty, "seed \(seed): doc \(i)")
        }
        // And the merged state loads into a fresh document identically.
        let fresh = Doc(clientID: 42)
        try fresh.applyUpdate(try docs[2].encodeStateAsUpdate())
        #expect(Self.json(fresh) == reference, "seed \(seed)")
    }

    @Test func observersHearOncePerTransaction() throws {
        let doc = Doc(clientID: 1)
        var calls = 0
        var changed = 0
        doc.observe { txn in
            calls += 1
            changed = txn.changedTypes.count
        }
        doc.transact { txn in
            doc.map("m").set("a", .number(1), txn)
            doc.map("m").set("b", .number(2), txn)
            doc.text("t").insert(0, "hi", txn)
        }
        #expect(calls == 1)
        #expect(changed == 2)
        let other = Doc(clientID: 2)
        var remote = 0
        other.observe { txn in if !txn.isLocal { remote += 1 } }
        try other.applyUpdate(try doc.encodeStateAsUpdate())
        #expect(remote == 1)
    }

    @Test func textCountsUTF16LikeYjs() throws {
        let doc = Doc(clientID: 1)
        let text = doc.text("t")
        doc.transact { txn in text.insert(0, "a😀b", txn) }
        #expect(text.count == 4)
        doc.transact { txn in text.insert(3, "X", txn) }
        #expect(text.string == "a😀Xb")
        doc.transact { txn in text.delete(1, 2, txn) }
        #expect(text.string == "aXb")
    }
}

@Suite struct UpdateObserverTests {
    /// Each transaction's own update (what y-protocols sends) rebuilds the document on a peer.
    @Test func transactionUpdatesReplayToTheSameDocument() throws {
        let doc = Doc(clientID: 1)
        var updates: [[UInt8]] = []
        doc.observeUpdates { updates.append($0) }
        var rng = SplitMix64(seed: 5)
        for _ in 0..<200 { ConvergenceTests.randomEdit(doc, &rng) }
        #expect(updates.count > 150)
        let peer = Doc(clientID: 2)
        for update in updates.shuffled(using: &rng) { try peer.applyUpdate(update) }
        #expect(ConvergenceTests.json(peer) == ConvergenceTests.json(doc))
        // A transaction's update carries only its own deletions, not the whole history's.
        let before = updates.count
        doc.transact { txn in doc.text("t").insert(0, "z", txn) }
        #expect(updates.count == before + 1)
        #expect(updates.last!.count < 40)
    }
}

@Suite struct TypingFastPathTests {
    /// Typing on extends the newest item in place; it must give byte for byte
    /// the updates and state of integrating a new item and merging it later.
    @Test(arguments: [UInt64(21), 22, 23])
    func extendingTypedTextEqualsIntegrateThenMerge(seed: UInt64) throws {
        let fast = Doc(clientID: 7)
        let general = Doc(clientID: 7)
        general.extendsTyping = false
        var fastUpdates: [[UInt8]] = [], generalUpdates: [[UInt8]] = []
        fast.observeUpdates { fastUpdates.append($0) }
        general.observeUpdates { generalUpdates.append($0) }
        // A concurrent peer's text keeps some insertions from extending (other client, other right origin).
        let other = Doc(clientID: 3)
        other.transact { txn in other.text("t").insert(0, "peer text", txn) }
        let otherState = try other.encodeStateAsUpdate()
        try fast.applyUpdate(otherState)
        try general.applyUpdate(otherState)
        var rng = SplitMix64(seed: seed)
        var cursor = 0
        for _ in 0..<2_000 {
            let length = fast.text("t").count
            let roll = rng.next() % 100
            if roll < 70 {
                // Type on at the cursor, sometimes several characters, sometimes a surrogate pair.
                let piece = roll < 5 ? "😀" : roll < 15 ? "ab" : String(UnicodeScalar(UInt8(97 + rng.next() % 26)))
                for doc in [fast, general] { doc.transact { txn in doc.text("t").insert(cursor, piece, txn) } }
                cursor += piece.utf16.count
            } else if roll < 85, length > 0 {
                let at = Int(rng.next() % UInt64(length))
                let count = min(length - at, 1 + Int(rng.next() % 3))
                for doc in [fast, general] { doc.transact { txn in doc.text("t").delete(at, count, txn) } }
                cursor = at
            } else if roll < 93 {
                cursor = Int(rng.next() % UInt64(length + 1))  // the user clicks elsewhere
            } else {
                // The peer catches up and types next to our text; both documents hear it.
                try other.applyUpdate(try fast.encodeStateAsUpdate(stateVector: other.encodeStateVector()))
                let at = rng.next() % 2 == 0 ? cursor : Int(rng.next() % UInt64(other.text("t").count + 1))  // often right at our caret
                let sv = general.encodeStateVector()
                other.transact { txn in other.text("t").insert(at, "~", txn) }
                let update = try other.encodeStateAsUpdate(stateVector: sv)
                try fast.applyUpdate(update)
                try general.applyUpdate(update)
                if at < cursor { cursor += 1 }  // at the caret, the caret stays before it
            }
            cursor = min(cursor, fast.text("t").count)
        }
        #expect(fast.text("t").string == general.text("t").string)
        let firstDifference = zip(fastUpdates, generalUpdates).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        #expect(fastUpdates.count == generalUpdates.count && firstDifference == nil, "transaction updates differ")
        let sameState = try fast.encodeStateAsUpdate() == (try general.encodeStateAsUpdate())
        #expect(sameState)
        // And a peer that only hears the updates agrees.
        let peer = Doc(clientID: 9)
        try peer.applyUpdate(try other.encodeStateAsUpdate())
        for update in fastUpdates { try peer.applyUpdate(update) }
        #expect(peer.text("t").string == fast.text("t").string)
    }
}

@Suite struct KnownStructsTests {
    /// A peer's full state repeats what we hold; a struct that straddles our
    /// state (its start held, its end new) must still give us the new part.
    @Test func aStructPartlyHeldBringsItsNewPart() throws {
        let a = Doc(clientID: 1)
        a.transact { txn in a.text("t").insert(0, "abc", txn) }
        let b = Doc(clientID: 2)
        try b.applyUpdate(try a.encodeStateAsUpdate())
        // Typed on, "d" merges into a's one item: clocks 0...3 in one struct.
        a.transact { txn in a.text("t").insert(3, "d", txn) }
        b.transact { txn in b.text("t").insert(0, ">", txn) }
        try b.applyUpdate(try a.encodeStateAsUpdate())
        #expect(b.text("t").string == ">abcd")
        // Whole-state exchanges both ways converge, and repeating one changes nothing.
        try a.applyUpdate(try b.encodeStateAsUpdate())
        try a.applyUpdate(try b.encodeStateAsUpdate())
        #expect(a.text("t").string == b.text("t").string)
        #expect(try a.encodeStateAsUpdate() == (try b.encodeStateAsUpdate()))
    }
}
