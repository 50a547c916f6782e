import LMDB
import TestSupport
import Testing

@testable import Projections

/// Writes deferred to the end of a batch land as if made in order: every
/// key, in LMDB's order, the later of two writes to one key winning.
@Suite struct DeferredWritesTests {
    @Test func deferredWritesLandAsIfMadeInOrder() throws {
        let folder = try TemporaryFolder()
        let environment = try Environment(path: folder.path)
        let table = try environment.database("t")
        var rng = SplitMix64(seed: 3)
        var expected: [[UInt8]: [UInt8]] = [:]
        try environment.write { txn in
            let context = ProjectionContext(transaction: txn, handles: [table])
            for round in 0..<2_000 {
                // Keys of varied length so prefixes and their extensions both occur.
                let key = (0..<(1 + Int(rng.next() % 4))).map { _ in UInt8(rng.next() % 4) }
                let value: [UInt8] = [UInt8(round & 0xFF), UInt8(round >> 8)]
                context.putAtEndOfBatch(0, key, value)
                expected[key] = value
            }
            #expect(try txn.get(table, key: expected.keys.first!) == nil, "nothing is written before the batch ends")
            try context.writeDeferred()
        }
        var stored: [([UInt8], [UInt8])] = []
        try environment.read { txn in
            try txn.scan(table) { key, value in
                stored.append((Array(key), Array(value)))
                return true
            }
        }
        #expect(stored.count == expected.count)
        for (key, value) in stored { #expect(expected[key] == value) }
    }
}
