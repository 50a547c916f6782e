import LMDB
import TestSupport
import Testing

@testable import EventLog
@testable import Projections

/// Writes deferred to the end of a batch land as if made in order: every
/// key, in LMDB's order, the later of two writes to one key winning.
@Suite struct DeferredWritesTests {
    @Test func deferredWritesLandAsIfMadeInOrder() throws {
        let folder = TemporaryFolder()
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

    /// Entries are packed into fixed chunks: many that fill several, and
    /// some larger than a chunk, come back whole and in key order.
    @Test func entriesAcrossChunksAndLargerThanOneComeBackWhole() throws {
        let folder = TemporaryFolder()
        let environment = try Environment(path: folder.path, options: .init(mapSize: 256 << 20))
        let table = try environment.database("t")
        var rng = SplitMix64(seed: 11)
        var expected: [[UInt8]: [UInt8]] = [:]
        try environment.write { txn in
            let context = ProjectionContext(transaction: txn, handles: [table])
            for n in 0..<3_000 {
                let size = n % 1_000 == 7 ? DeferredWrites.chunkSize + Int(rng.next() % 5_000) : Int(rng.next() % 3_000)
                let value = (0..<size).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                let key = UInt64(rng.next() % 100_000).bigEndianBytes + [UInt8(n & 0xFF)]
                context.putAtEndOfBatch(0, key, value)
                expected[key] = value
            }
            try context.writeDeferred()
        }
        var stored: [[UInt8]] = []
        try environment.read { txn in
            try txn.scan(table) { key, value in
                stored.append(Array(key))
                #expect(expected[Array(key)] == Array(value))
                return true
            }
        }
        #expect(stored.count == expected.count)
        #expect(stored == stored.sorted { $0.lexicographicallyPrecedes($1) })
    }

    /// Deferred removals and writes of the same keys, in random order over
    /// several batches: the table ends as if each had been made in order
    /// (the last of a key's writes and removals wins), whether a batch is
    /// appended to an empty table or put among existing keys.
    @Test func removalsAndWritesLandInOrder() throws {
        let folder = TemporaryFolder()
        let environment = try Environment(path: folder.path)
        let table = try environment.database("t")
        var rng = SplitMix64(seed: 5)
        var expected: [[UInt8]: [UInt8]] = [:]
        for batch in 0..<6 {
            try environment.write { txn in
                let context = ProjectionContext(transaction: txn, handles: [table])
                for step in 0..<500 {
                    let key = UInt32(rng.next() % 300).bigEndianBytes
                    if rng.next() % 3 == 0 {
                        context.deleteAtEndOfBatch(0) { $0.append(bytes: key) }
                        expected[key] = nil
                    } else {
                        let value = [UInt8(batch), UInt8(step & 0xFF)]
                        context.putAtEndOfBatch(0, key, value)
                        expected[key] = value
                    }
                }
                try context.writeDeferred()
            }
        }
        var stored: [[UInt8]: [UInt8]] = [:]
        try environment.read { txn in
            try txn.scan(table) { key, value in
                stored[Array(key)] = Array(value)
                return true
            }
        }
        #expect(stored == expected)
    }

    /// An empty key is refused by LMDB with a typed error, whether it comes
    /// alone or among others; nothing traps.
    @Test func anEmptyKeyIsATypedErrorNotATrap() throws {
        let folder = TemporaryFolder()
        let environment = try Environment(path: folder.path)
        let table = try environment.database("t")
        for keys in [[[UInt8]()], [[1], [], [2]]] {
            #expect(throws: LMDBError.self) {
                try environment.write { txn in
                    let context = ProjectionContext(transaction: txn, handles: [table])
                    for key in keys { context.putAtEndOfBatch(0, key, []) }
                    try context.writeDeferred()
                }
            }
        }
    }

    /// A batch whose keys all sort after the table's is appended through a
    /// cursor; one whose keys fall between existing ones is put key by key.
    /// Either way the table ends holding every key once, the last write winning.
    @Test func laterBatchesAppendOrInsertAsTheirKeysRequire() throws {
        let folder = TemporaryFolder()
        let environment = try Environment(path: folder.path)
        let table = try environment.database("t")
        var expected: [[UInt8]: [UInt8]] = [:]
        func batch(_ keys: [UInt32], value: UInt8) throws {
            try environment.write { txn in
                let context = ProjectionContext(transaction: txn, handles: [table])
                for k in keys {
                    context.putAtEndOfBatch(0, k.bigEndianBytes, [value])
                    expected[k.bigEndianBytes] = [value]
                }
                try context.writeDeferred()
            }
        }
        try batch((0..<500).map { $0 * 2 }.shuffled(), value: 1)  // into an empty table
        try batch((0..<500).map { $0 * 2 + 1 }.reversed(), value: 2)  // between existing keys
        try batch([5_000, 4_000, 4_000, 3_000], value: 3)  // after every key, one of them twice
        try batch([0, 998, 999], value: 4)  // overwriting
        var stored: [[UInt8]: [UInt8]] = [:]
        var order: [[UInt8]] = []
        try environment.read { txn in
            try txn.scan(table) { key, value in
                stored[Array(key)] = Array(value)
                order.append(Array(key))
                return true
            }
        }
        #expect(stored == expected)
        #expect(order == expected.keys.sorted { $0.lexicographicallyPrecedes($1) })
    }

    /// Session 23's review: a value's length was kept in 32 bits, and one
    /// run's record (thousands of steps, each with a mebibyte of error
    /// text) can pass 2 GiB. The conversion trapped in the runs projection,
    /// at every catch-up and rebuild after the events were in the log. The
    /// value's memory is reserved, never touched: the test costs no RAM.
    @Test func aValuePastTwoGibibytesIsKeptWhole() throws {
        let deferred = DeferredWrites()
        let size = Int(Int32.max) + 17
        deferred.add(0, key: { $0.append(bytes: [7]) }, valueBound: size) { _ in size }
        deferred.add(0, [6], [1, 2, 3])
        let entries = deferred.tables[0].entries
        #expect(entries.map(\.valueCount) == [size, 3])
        #expect(entries.map(\.keyCount) == [1, 1])
    }
}
