import Encoding
import TestSupport
import Testing

@testable import YDoc

/// Review R1: a document's state, encoded with what is still pending, must
/// carry that too (as Yjs's `encodeStateAsUpdate` does), so a store that
/// replaces its updates by the state loses nothing acknowledged.
@Suite struct PendingStateTests {
    /// Three editors' transaction updates, in the order they were made.
    func session(seed: UInt64) -> [[UInt8]] {
        var rng = SplitMix64(seed: seed)
        let docs = (1...3).map { Doc(clientID: UInt64($0) * 100 + seed) }
        var updates: [[UInt8]] = []
        for doc in docs { doc.observeUpdates { updates.append($0) } }
        for _ in 0..<120 {
            let actor = Int(rng.next() % 3)
            ConvergenceTests.randomEdit(docs[actor], &rng)
            // Editors see each other's work now and then, so their structs depend on each other's.
            if rng.next() % 4 == 0 {
                let peer = Int(rng.next() % 3)
                if peer != actor { try! docs[peer].applyUpdate(try! docs[actor].encodeStateAsUpdate()) }
            }
        }
        return updates
    }

    @Test(arguments: [UInt64(1), 2, 3, 4, 5, 6])
    func theStateWithPendingCarriesEverythingReceived(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed &* 7919)
        let updates = session(seed: seed)
        let reference = Doc(clientID: 1)
        for update in updates { try reference.applyUpdate(update) }

        // A holder that received some of the updates, in any order, some twice.
        let received = updates.indices.filter { _ in rng.next() % 2 == 0 }
        let holder = Doc(clientID: 2)
        for index in received.shuffled(using: &rng) {
            try holder.applyUpdate(updates[index])
            if rng.next() % 6 == 0 { try holder.applyUpdate(updates[index]) }
        }
        let state = try holder.encodeStateAsUpdate(includingPending: true)
        #expect(!holder.pendingStructs.isEmpty || !holder.pendingDeletes.isEmpty, "seed \(seed): nothing pending to test")

        // Its state alone, then the updates it never received: all there.
        let restored = Doc(clientID: 3)
        try restored.applyUpdate(state)
        #expect(try restored.encodeStateAsUpdate(includingPending: true) == state, "seed \(seed)")
        let missing = updates.indices.filter { !received.contains($0) }
        for index in missing.shuffled(using: &rng) { try restored.applyUpdate(updates[index]) }
        #expect(ConvergenceTests.json(restored) == ConvergenceTests.json(reference), "seed \(seed)")
        #expect(restored.pendingStructs.isEmpty && restored.pendingDeletes.isEmpty, "seed \(seed)")
        #expect(try restored.encodeStateAsUpdate() == (try reference.encodeStateAsUpdate()), "seed \(seed)")

        // A diff for a peer that holds some of it already carries the rest.
        let peer = Doc(clientID: 4)
        for index in updates.indices where rng.next() % 3 == 0 { try peer.applyUpdate(updates[index]) }
        try peer.applyUpdate(try holder.encodeStateAsUpdate(stateVector: peer.encodeStateVector(), includingPending: true))
        for index in missing { try peer.applyUpdate(updates[index]) }
        #expect(ConvergenceTests.json(peer) == ConvergenceTests.json(reference), "seed \(seed)")
    }

    /// Without pending content, the state is the same bytes either way.
    @Test func nothingPendingEncodesAsBefore() throws {
        let doc = Doc(clientID: 1)
        doc.transact { txn in doc.text("t").insert(0, "abc", txn) }
        doc.transact { txn in doc.text("t").delete(1, 1, txn) }
        #expect(try doc.encodeStateAsUpdate(includingPending: true) == (try doc.encodeStateAsUpdate()))
    }

    /// A gap between a client's held and pending structs is a Skip (info
    /// ref 10), and pending deletions join the delete set, as in Yjs.
    @Test func gapsAreWrittenAsSkips() throws {
        let source = Doc(clientID: 5)
        var updates: [[UInt8]] = []
        source.observeUpdates { updates.append($0) }
        for word in ["ab", "cd", "ef"] {
            source.transact { txn in source.text("t").insert(source.text("t").count, word, txn) }
        }
        source.transact { txn in source.text("t").delete(2, 1, txn) }  // "c", clock 2
        let holder = Doc(clientID: 6)
        try holder.applyUpdate(updates[0])
        try holder.applyUpdate(updates[2])  // clocks 4-5 wait for 2-3
        try holder.applyUpdate(updates[3])  // deletes clock 2, not received
        // Yjs 13.6.31, the same three updates applied to a document, then
        // `Y.encodeStateAsUpdate(holder)`: client 5 from clock 0, "ab", a
        // skip of 2 (info 10), "ef" after (5, 3); deleted: (5, 2, 1).
        let yjs: [UInt8] = [1, 3, 5, 0, 4, 1, 1, 116, 2, 97, 98, 10, 2, 132, 5, 3, 2, 101, 102, 1, 5, 1, 2, 1]
        #expect(try holder.encodeStateAsUpdate(includingPending: true) == yjs)
        let restored = Doc(clientID: 7)
        try restored.applyUpdate(yjs)
        try restored.applyUpdate(updates[1])
        #expect(restored.text("t").string == "abdef")
    }
}
