import Encoding
import TestSupport
import Testing

@testable import EventLog
@testable import Projections

/// The deferred entries' radix sort gives exactly the order of a comparison
/// sort by (key, write order), whatever the keys share.
@Suite struct PrefixSortTests {
    /// Keys drawn so that every case occurs: shared prefixes of every length
    /// up to past eight bytes, keys that are prefixes of others, keys
    /// shorter than eight bytes, repeats, and high bytes.
    static func keys(seed: UInt64, count: Int) -> [[UInt8]] {
        var rng = SplitMix64(seed: seed)
        let stems: [[UInt8]] = (0..<12).map { _ in (0..<Int(rng.next() % 14)).map { _ in UInt8(truncatingIfNeeded: rng.next()) } }
        return (0..<count).map { _ in
            var key = stems[Int(rng.next() % UInt64(stems.count))]
            for _ in 0..<Int(rng.next() % 5) { key.append(rng.next() % 3 == 0 ? 0xFF : UInt8(rng.next() % 4)) }
            return key
        }
    }

    @Test(arguments: [(UInt64(1), 40), (2, 300), (3, 5_000), (4, 40_000)])
    func radixOrderIsComparisonOrder(seed: UInt64, count: Int) {
        let keys = Self.keys(seed: seed, count: count)
        // Keys laid out one after another, as in a chunk; `start` is where each begins.
        var bytes: [UInt8] = []
        var entries: [DeferredWrites.Entry] = []
        for key in keys {
            func word(at offset: Int) -> UInt64 {
                (offset..<offset + 8).reduce(0) { $0 << 8 | UInt64($1 < key.count ? key[$1] : 0) }
            }
            entries.append(DeferredWrites.Entry(
                start: bytes.count, keyCount: Int32(key.count), valueCount: 0, prefix: word(at: 0), next: word(at: 8)))
            bytes += key
        }
        bytes.withUnsafeBytes { raw in
            func key(_ e: DeferredWrites.Entry) -> UnsafeRawBufferPointer {
                UnsafeRawBufferPointer(rebasing: raw[e.start..<e.start + Int(e.keyCount)])
            }
            let expected = entries.sorted { a, b in
                let order = compareKeys(key(a), key(b))
                return order != 0 ? order < 0 : a.start < b.start
            }
            var sorted = entries
            PrefixSort.sort(&sorted, key: key)
            let firstDifference = sorted.indices.first { sorted[$0].start != expected[$0].start }
            #expect(firstDifference == nil, "seed \(seed), \(count) keys: order differs from position \(firstDifference ?? -1)")
        }
    }
}
