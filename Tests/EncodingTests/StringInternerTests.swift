import TestSupport
import Testing

@testable import Encoding

@Suite struct StringInternerTests {
    /// Reads every string of `strings`, written one after another, through one interner.
    static func readAll(_ strings: [String], _ interner: StringInterner) throws -> [String] {
        var writer = ByteWriter()
        for s in strings { writer.writeVarString(s) }
        var reader = ByteReader(writer.bytes)
        return try strings.map { _ in try reader.readVarString(interning: interner) }
    }

    @Test func givesBackTheSameStringsItRead() throws {
        var rng = SplitMix64(seed: 5)
        // Ids long enough to be allocated, repeating, plus short and non-ASCII ones.
        let pool = (0..<50).map { i in "run-\(i)-" + String(repeating: "x", count: Int(rng.next() % 40)) }
            + ["a", "", "naïve-ünïcode-string-of-some-length", "🙂🙂🙂🙂🙂"]
        let input = (0..<2_000).map { _ in pool[Int(rng.next() % UInt64(pool.count))] }
        // A one-slot table: every string competes for the same slot, so a
        // hit must be decided by the bytes, not by the slot.
        for capacity in [1, 8, 4_096] {
            #expect(try Self.readAll(input, StringInterner(capacity: capacity)) == input)
        }
    }

    @Test func aRepeatedIdSharesOneStorage() throws {
        let id = "0f8fad5b-d9cb-469f-a165-70867728950e"
        let read = try Self.readAll([id, "other-id-that-is-long-enough", id], StringInterner())
        #expect(read == [id, "other-id-that-is-long-enough", id])
        var first = read[0], last = read[2]
        let same = first.withUTF8 { a in last.withUTF8 { b in a.baseAddress == b.baseAddress } }
        #expect(same)
    }

    @Test func invalidUTF8StillThrows() throws {
        var reader = ByteReader([3, 0xFF, 0xFE, 0xFD])
        #expect(throws: ByteDecodingError.invalidUTF8(offset: 0)) { try reader.readVarString(interning: StringInterner()) }
    }
}
