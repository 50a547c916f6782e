import Encoding
import TestSupport
import Testing
@testable import YDoc

/// Session 22's review: Swift's `String` equality is canonical equivalence,
/// so "é" (U+00E9) and "e" + U+0301 were one map key and one root here, and
/// two in Yjs. An update setting one deleted the other's entry, and the
/// deletion went out to Yjs peers with Cairn's next update.
@Suite struct ExactKeyTests {
    static let composed = "\u{e9}", decomposed = "e\u{301}"

    static func value(_ map: YMap, _ key: String) -> Lib0Any? {
        if case .any(let value)? = map.get(key) { value } else { nil }
    }

    static func update(_ name: String) throws -> [UInt8] { Array(try Fixtures.data("ydoc-yjs/exact-keys.\(name).update")) }

    @Test(arguments: [["a", "b"], ["b", "a"]])
    func keysAndRootsYjsKeepApartStayApart(order: [String]) throws {
        #expect(Self.composed == Self.decomposed)  // to Swift
        let doc = Doc(clientID: 9)
        for name in order { try doc.applyUpdate(try Self.update(name)) }
        let map = doc.map("m")
        #expect(map.count == 2)
        #expect(Self.value(map, Self.composed) == .string("composed"))
        #expect(Self.value(map, Self.decomposed) == .string("decomposed"))
        #expect(Self.value(doc.map(Self.composed), "k") == .number(1))
        #expect(Self.value(doc.map(Self.decomposed), "k") == .number(2))
        #expect(doc.rootNames.count == 3)
        // Nothing deleted: the state is Yjs's, byte for byte.
        #expect(try doc.encodeStateAsUpdate() == (try Self.update("merged")))
        #expect(doc.integrityProblems().isEmpty)
    }

    @Test func aLocalSetOfOneKeyLeavesTheOther() throws {
        let doc = Doc(clientID: 9)
        try doc.applyUpdate(try Self.update("a"))
        let map = doc.map("m")
        doc.transact { txn in map.set(Self.decomposed, .string("mine"), txn) }
        #expect(Self.value(map, Self.composed) == .string("composed"))
        #expect(Self.value(map, Self.decomposed) == .string("mine"))
        doc.transact { txn in map.delete(Self.decomposed, txn) }
        #expect(map.keys.map { Array($0.unicodeScalars) } == [Array(Self.composed.unicodeScalars)])
    }

    @Test func keysSortByCodePoint() {
        let keys = ["b", Self.decomposed, "a", Self.composed, "e"].map(ExactKey.init)
        #expect(keys.sorted().map { Array($0.string.utf8) } == [[0x61], [0x62], [0x65], [0x65, 0xcc, 0x81], [0xc3, 0xa9]])
        #expect(Set(keys).count == 5)
        // Equal keys in storage of their own, and in shared storage (long enough not to be stored inline).
        let long = String(repeating: "k", count: 40) + Self.composed
        var built = String(repeating: "k", count: 40)
        built += Self.composed
        #expect(ExactKey(long) == ExactKey(built) && ExactKey(long) == ExactKey(long))
        #expect(ExactKey(long) != ExactKey(String(repeating: "k", count: 40) + Self.decomposed))
    }
}
