import TestSupport
import Testing

@testable import LMDB

@Suite struct CursorTests {
    @Test func bigEndianKeysIterateInNumericOrder() throws {
        let folder = TemporaryFolder()
        let env = try Environment(path: folder.path)
        let db = try env.database("numbers")
        var rng = SplitMix64(seed: 7)
        let numbers = (0..<500).map { _ in rng.next() >> UInt64.random(in: 0...63, using: &rng) }
        try env.write { txn throws in
            for n in numbers { try txn.put(db, key: n.bigEndianBytes, value: []) }
        }
        var seen: [UInt64] = []
        try env.read { txn throws in
            try txn.scan(db) { key, _ in
                seen.append(UInt64(bigEndianBytes: key)!)
                return true
            }
        }
        #expect(seen == Array(Set(numbers)).sorted())

        var reversed: [UInt64] = []
        try env.read { txn throws in
            try txn.scan(db, reverse: true) { key, _ in
                reversed.append(UInt64(bigEndianBytes: key)!)
                return true
            }
        }
        #expect(reversed == seen.reversed())
    }

    @Test func cursorMovesAndSeeks() throws {
        let folder = TemporaryFolder()
        let env = try Environment(path: folder.path)
        let db = try env.database("c")
        try env.write { txn throws in
            for n in stride(from: UInt32(10), through: 50, by: 10) {
                try txn.put(db, key: n.bigEndianBytes, value: [UInt8(n)])
            }
        }
        try env.read { txn throws in
            try txn.withCursor(db) { cursor throws in
                #expect(try cursor.first().map { Array($0.value) } == [10])
                #expect(try cursor.next().map { Array($0.value) } == [20])
                #expect(try cursor.last().map { Array($0.value) } == [50])
                #expect(try cursor.next() == nil)
                #expect(try cursor.previous().map { Array($0.value) } == [40])
                #expect(try cursor.seek(atLeast: UInt32(25).bigEndianBytes).map { Array($0.value) } == [30])
                #expect(try cursor.seek(exactly: UInt32(25).bigEndianBytes) == nil)
                #expect(try cursor.seek(atLeast: UInt32(51).bigEndianBytes) == nil)
            }
        }
    }

    @Test func rangesAreHalfOpenAndPrefixesWork() throws {
        let folder = TemporaryFolder()
        let env = try Environment(path: folder.path)
        let db = try env.database("r")
        try env.write { txn throws in
            for stream in UInt8(1)...3 {
                for version in UInt32(0)..<4 { try txn.put(db, key: [stream] + version.bigEndianBytes, value: []) }
            }
            try txn.put(db, key: [0xFF, 0xFF], value: [])
        }
        func keys(_ range: KeyRange, reverse: Bool = false) throws -> [[UInt8]] {
            var out: [[UInt8]] = []
            try env.read { txn throws in
                try txn.scan(db, in: range, reverse: reverse) { key, _ in
                    out.append(Array(key))
                    return true
                }
            }
            return out
        }
        #expect(try keys(.prefix([2])).map { UInt32(bigEndianBytes: $0.dropFirst())! } == [0, 1, 2, 3])
        #expect(try keys(.prefix([2]), reverse: true).map { UInt32(bigEndianBytes: $0.dropFirst())! } == [3, 2, 1, 0])
        #expect(try keys(KeyRange(from: [1] + UInt32(2).bigEndianBytes, to: [2] + UInt32(1).bigEndianBytes)).count == 3)
        #expect(try keys(.prefix([0xFF])) == [[0xFF, 0xFF]])
        #expect(try keys(.prefix([9])).isEmpty)
        // Stopping early.
        var visited = 0
        try env.read { txn throws in
            try txn.scan(db) { _, _ in
                visited += 1
                return visited < 2
            }
        }
        #expect(visited == 2)
    }

    @Test func appendRejectsOutOfOrderKeysWithTypedError() throws {
        let folder = TemporaryFolder()
        let env = try Environment(path: folder.path)
        let db = try env.database("log")
        try env.write { txn throws in
            for n in UInt64(1)...100 { try txn.put(db, key: n.bigEndianBytes, value: [1], flags: .append) }
        }
        #expect(throws: LMDBError.appendOutOfOrder) {
            try env.write { txn in try txn.put(db, key: UInt64(50).bigEndianBytes, value: [2], flags: .append) }
        }
        #expect(throws: LMDBError.appendOutOfOrder) {
            try env.write { txn in try txn.put(db, key: UInt64(100).bigEndianBytes, value: [2], flags: .append) }
        }
        #expect(try env.read { txn in try txn.get(db, key: UInt64(50).bigEndianBytes) } == [1])
        #expect(try env.read { txn in try txn.statistics(db).entries } == 100)
    }
}
