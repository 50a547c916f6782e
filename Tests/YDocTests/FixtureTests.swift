import Encoding
import Foundation
import JSON
import TestSupport
import Testing

@testable import YDoc

/// Roots in the workflow layout, as `cairn ydoc merge` prints them.
func workflowJSON(_ doc: Doc) -> Lib0Any {
    .object([
        ("workflow", doc.map("workflow").toJSON()), ("jobs", doc.array("jobs").toJSON()),
        ("edges", doc.array("edges").toJSON()), ("triggers", doc.array("triggers").toJSON()),
        ("positions", doc.map("positions").toJSON()), ("errors", doc.map("errors").toJSON()),
    ])
}

func update(_ path: String) throws -> [UInt8] { Array(try Fixtures.data("ydoc/" + path)) }

func expectedJSON(_ path: String) throws -> Lib0Any {
    Lib0Any(try JSONParser.parse(Array(try Fixtures.data("ydoc/" + path))))
}

/// The updates pycrdt made (fixtures/ydoc/, see its README), applied here.
@Suite struct FixtureTests {
    static let scenarios = ["body-edits", "cursor-vs-delete", "type-vs-cursor"]

    @Test(arguments: scenarios)
    func scenarioConvergesInEveryOrder(_ name: String) throws {
        let expected = try expectedJSON("\(name).merged.json")
        let parts = [try update("base.update"), try update("\(name).a.update"), try update("\(name).b.update")]
        for order in [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]] {
            let doc = Doc(clientID: 1)
            for i in order { try doc.applyUpdate(parts[i]) }
            #expect(workflowJSON(doc) == expected, "\(name) in order \(order)")
            #expect(doc.pendingStructs.isEmpty && doc.pendingDeletes.isEmpty)
        }
    }

    @Test(arguments: 0..<6)
    func sessionConvergesInShuffledOrders(_ session: Int) throws {
        let folder = Fixtures.url(String(format: "ydoc/session-%02d", session))
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".update") }.sorted()
        let updates = try names.map { Array(try Data(contentsOf: folder.appendingPathComponent($0))) }
        let expected = try expectedJSON(String(format: "session-%02d/final.json", session))
        let base = try update("base.update")
        var rng = SplitMix64(seed: UInt64(session) * 101 + 7)
        for round in 0..<3 {
            var all = updates + [base]
            if round > 0 { all.shuffle(using: &rng) } else { all = [base] + updates }
            let doc = Doc(clientID: 1)
            for u in all { try doc.applyUpdate(u) }
            #expect(workflowJSON(doc) == expected, "session \(session), round \(round) (seed \(UInt64(session) * 101 + 7))")
        }
    }

    @Test func exportedStateLoadsToTheSameDocument() throws {
        let doc = Doc(clientID: 1)
        try doc.applyUpdate(try update("base.update"))
        try doc.applyUpdate(try update("body-edits.a.update"))
        let full = try doc.encodeStateAsUpdate()
        let copy = Doc(clientID: 2)
        try copy.applyUpdate(full)
        #expect(workflowJSON(copy) == workflowJSON(doc))
        #expect(copy.stateVector == doc.stateVector)

        // A diff against a peer's state vector brings it up to date.
        let peer = Doc(clientID: 3)
        try peer.applyUpdate(try update("base.update"))
        let diff = try doc.encodeStateAsUpdate(stateVector: peer.encodeStateVector())
        #expect(diff.count < full.count)
        try peer.applyUpdate(diff)
        #expect(workflowJSON(peer) == workflowJSON(doc))
    }

    @Test func malformedUpdatesThrowAndChangeNothing() throws {
        let doc = Doc(clientID: 1)
        try doc.applyUpdate(try update("base.update"))
        let before = try doc.encodeStateAsUpdate()
        let json = workflowJSON(doc)
        let victim = try update("body-edits.a.update")
        for cut in stride(from: 0, to: victim.count - 1, by: max(1, victim.count / 200)) {
            do {
                try doc.applyUpdate(Array(victim.prefix(cut)))
            } catch {
                #expect(try doc.encodeStateAsUpdate() == before, "cut at \(cut)")
            }
        }
        #expect(workflowJSON(doc) == json)
        // Hostile shapes: huge counts, impossible clocks, unknown content.
        let hostile: [[UInt8]] = [
            [0xFF, 0xFF, 0xFF, 0xFF, 0x0F],  // a billion clients
            [1, 1, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0, 5],  // clock near 2^53 and a GC
            [1, 1, 1, 0, 0x1F, 0, 0],  // content ref 31
            [1, 1, 1, 0, 0, 0],  // a GC of length 0
        ]
        for bytes in hostile {
            #expect(throws: YDocError.self) { try doc.applyUpdate(bytes) }
        }
        #expect(try doc.encodeStateAsUpdate() == before)
        var rng = SplitMix64(seed: 99)
        for _ in 0..<500 {
            var bytes = victim
            for _ in 0..<3 { bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next()) }
            let probe = Doc(clientID: 5)
            try? probe.applyUpdate(bytes)  // must not trap
        }
    }

    /// Wire constants of Yjs's encoding, pinned.
    @Test func wireConstants() throws {
        #expect(Content.deleted(1).ref == 1)
        #expect(Content.json([]).ref == 2)
        #expect(Content.binary([]).ref == 3)
        #expect(Content.string(TextUnits([])).ref == 4)
        #expect(Content.embed("").ref == 5)
        #expect(Content.format(key: "", value: "").ref == 6)
        #expect(Content.type(YType(kind: .map)).ref == 7)
        #expect(Content.any([]).ref == 8)
        #expect(Content.doc(guid: "", options: .null).ref == 9)
        #expect(YType.Kind.array.ref == 0 && YType.Kind.map.ref == 1 && YType.Kind.text.ref == 2)
        #expect(YType.Kind.xmlElement("p").ref == 3 && YType.Kind.xmlFragment.ref == 4)
        #expect(YType.Kind.xmlHook("h").ref == 5 && YType.Kind.xmlText.ref == 6)
        // A one-key map as Yjs writes it: 1 client, 1 struct, client 7, clock 0, info 0x28 (any, parentSub),
        // root parent "m", key "k", one any value: the string "v".
        let doc = Doc(clientID: 7)
        doc.transact { txn in doc.map("m").set("k", .string("v"), txn) }
        #expect(try doc.encodeStateAsUpdate() == [1, 1, 7, 0, 0x28, 1, 1, 0x6D, 1, 0x6B, 1, 119, 1, 0x76, 0])
        #expect(doc.encodeStateVector() == [1, 7, 1])
    }
}
