import CLMDB
import Foundation
import TestSupport
import Testing

@testable import LMDB

@Suite struct EnvironmentTests {
    @Test func putGetRoundTripAndMissingKeyIsNil() throws {
        let folder = TemporaryFolder()
        let env = try Environment(path: folder.path)
        let db = try env.database("things")
        try env.write { txn throws in
            try txn.put(db, key: Array("alpha".utf8), value: [1, 2, 3])
            try txn.put(db, key: Array("empty".utf8), value: [])
        }
        try env.read { txn throws in
            #expect(try txn.get(db, key: Array("alpha".utf8)) == [1, 2, 3])
            #expect(try txn.get(db, key: Array("empty".utf8)) == [])
            #expect(try txn.get(db, key: Array("missing".utf8)) == nil)
        }
    }

    @Test func writeThatThrowsLeavesNothingBehind() throws {
        struct Boom: Error {}
        let folder = TemporaryFolder()
        let env = try Environment(path: folder.path)
        let db = try env.database("things")
        #expect(throws: Boom.self) {
            try env.write { (txn: WriteTransaction) throws -> Void in
                try txn.put(db, key: [1], value: [1])
                throw Boom()
            }
        }
        #expect(try env.read { txn in try txn.get(db, key: [1]) } == nil)
    }

    @Test func deleteAndClear() throws {
        let folder = TemporaryFolder()
        let env = try Environment(path: folder.path)
        let db = try env.database("things")
        try env.write { txn throws in
            for i in UInt32(0)..<10 { try txn.put(db, key: i.bigEndianBytes, value: [0]) }
            #expect(try txn.delete(db, key: UInt32(3).bigEndianBytes))
            #expect(try !txn.delete(db, key: UInt32(3).bigEndianBytes))
        }
        #expect(try env.read { txn in try txn.statistics(db).entries } == 9)
        try env.write { txn in try txn.clear(db) }
        #expect(try env.read { txn in try txn.statistics(db).entries } == 0)
    }

    @Test func noOverwriteReportsKeyExists() throws {
        let folder = TemporaryFolder()
        let env = try Environment(path: folder.path)
        let db = try env.database("things")
        try env.write { txn in try txn.put(db, key: [7], value: [1]) }
        #expect(throws: LMDBError.keyExists) {
            try env.write { txn in try txn.put(db, key: [7], value: [2], flags: .noOverwrite) }
        }
        #expect(try env.read { txn in try txn.get(db, key: [7]) } == [1])
    }

    @Test func reopeningKeepsData() throws {
        let folder = TemporaryFolder()
        do {
            let env = try Environment(path: folder.path)
            let db = try env.database("kept")
            try env.write { txn in try txn.put(db, key: Array("k".utf8), value: Array("v".utf8)) }
        }
        let env = try Environment(path: folder.path)
        let db = try env.database("kept")
        #expect(try env.read { txn in try txn.get(db, key: Array("k".utf8)) } == Array("v".utf8))
        #expect(try env.databaseNames() == ["kept"])
    }

    @Test func foreignFileIsRejectedWithTypedError() throws {
        let folder = TemporaryFolder()
        // A file that is not LMDB where data.mdb should be.
        var garbage = [UInt8](repeating: 0, count: 16_384)
        var rng = SplitMix64(seed: 42)
        for i in garbage.indices { garbage[i] = UInt8(truncatingIfNeeded: rng.next()) }
        _ = FileManager.default.createFile(atPath: folder.path + "/data.mdb", contents: Data(garbage))
        #expect(throws: LMDBError.invalid) { try Environment(path: folder.path) }
    }

    @Test func transactionUsedAfterItsClosureThrows() throws {
        let folder = TemporaryFolder()
        let env = try Environment(path: folder.path)
        let db = try env.database("things")
        let escaped = try env.read { txn in txn }
        #expect(throws: LMDBError.transactionEnded) { try escaped.get(db, key: [1]) }
    }

    @Test func mapGrowsFromTinyMapThrough100kInserts() throws {
        let folder = TemporaryFolder()
        let env = try Environment(path: folder.path, options: .init(mapSize: 64 << 10))
        let db = try env.database("grow")
        let value = [UInt8](repeating: 0xAB, count: 100)
        for batch in 0..<100 {
            try env.write { txn throws in
                for i in 0..<1000 {
                    try txn.put(db, key: UInt64(batch * 1000 + i).bigEndianBytes, value: value, flags: .append)
                }
            }
        }
        #expect(env.info().mapSize > 64 << 10)
        try env.read { txn throws in
            #expect(try txn.statistics(db).entries == 100_000)
            #expect(try txn.get(db, key: UInt64(99_999).bigEndianBytes) == value)
        }
    }

    /// Room reserved ahead lets one large transaction through without a
    /// single growth (its closure runs once), and the data stays.
    @Test func reservedRoomTakesALargeTransactionWithoutStartingOver() throws {
        let folder = TemporaryFolder()
        let env = try Environment(path: folder.path, options: .init(mapSize: 64 << 10))
        let db = try env.database("big")
        try env.write { txn in try txn.put(db, key: [0], value: [1]) }
        try env.reserve(32 << 20)
        let info = env.info()
        #expect(info.mapSize - info.usedBytes >= 32 << 20)
        #expect(info.mapSize <= 2 * (info.usedBytes + 32 << 20), "doubled no further than needed")
        var runs = 0
        let value = [UInt8](repeating: 7, count: 200)
        try env.write { txn in
            runs += 1
            for i in 0..<20_000 { try txn.put(db, key: UInt64(i + 2).bigEndianBytes, value: value, flags: .append) }
        }
        #expect(runs == 1)
        try env.read { txn throws in #expect(try txn.statistics(db).entries == 20_001) }
        try env.reserve(0)  // already room: nothing changes
        #expect(env.info().mapSize == info.mapSize)
    }

    @Test func concurrentReadersSeeConsistentSnapshotsDuringWrites() async throws {
        let folder = TemporaryFolder()
        let env = try Environment(path: folder.path)
        let db = try env.database("counter")
        // Invariant kept by every write: keys "a" and "b" hold the same number.
        try env.write { txn throws in
            try txn.put(db, key: Array("a".utf8), value: UInt64(0).bigEndianBytes)
            try txn.put(db, key: Array("b".utf8), value: UInt64(0).bigEndianBytes)
        }
        try await withThrowingTaskGroup(of: Int.self) { group in
            group.addTask {
                for n in UInt64(1)...300 {
                    try env.write { txn throws in
                        try txn.put(db, key: Array("a".utf8), value: n.bigEndianBytes)
                        try txn.put(db, key: Array("b".utf8), value: n.bigEndianBytes)
                    }
                }
                return 0
            }
            for _ in 0..<4 {
                group.addTask {
                    var reads = 0
                    for _ in 0..<300 {
                        try env.read { txn throws in
                            let a = try txn.get(db, key: Array("a".utf8)).flatMap { UInt64(bigEndianBytes: $0) }
                            let b = try txn.get(db, key: Array("b".utf8)).flatMap { UInt64(bigEndianBytes: $0) }
                            #expect(a == b)
                        }
                        reads += 1
                    }
                    return reads
                }
            }
            var total = 0
            for try await reads in group { total += reads }
            #expect(total == 1200)
        }
        #expect(try env.read { txn in try txn.get(db, key: Array("a".utf8)) } == UInt64(300).bigEndianBytes)
    }
}

@Suite struct NestingTests {
    /// A write begun inside another on the same thread would wait for itself forever: it is refused instead.
    @Test func aNestedWriteIsRefusedNotDeadlocked() throws {
        let folder = TemporaryFolder()
        let env = try Environment(path: folder.path)
        let db = try env.database("x")
        #expect(throws: LMDBError.nestedWrite) {
            try env.write { _ in try env.write { txn in try txn.put(db, key: [1], value: [1]) } }
        }
        #expect(throws: LMDBError.nestedWrite) {
            try env.write { _ in _ = try env.database("opened-inside") }
        }
        // Resizing waits for every transaction of the process, this thread's read too.
        #expect(throws: LMDBError.nestedWrite) {
            try env.read { _ in try env.reserve(1 << 20) }
        }
        // The environment is still usable afterwards.
        try env.write { txn in try txn.put(db, key: [2], value: [2]) }
        #expect(try env.read { txn in try txn.get(db, key: [2]) } == [2])
    }

    @Test func afterCommitRunsOnlyWhenTheTransactionCommits() throws {
        struct Boom: Error {}
        let folder = TemporaryFolder()
        let env = try Environment(path: folder.path)
        let db = try env.database("x")
        nonisolated(unsafe) var ran: [String] = []
        try env.write { txn in
            try txn.put(db, key: [1], value: [1])
            txn.afterCommit { ran.append("committed") }
        }
        _ = try? env.write { (txn: WriteTransaction) throws -> Void in
            txn.afterCommit { ran.append("aborted") }
            throw Boom()
        }
        #expect(ran == ["committed"])
    }
}

@Suite struct BackupTests {
    @Test func aCopyOpensWithTheSameData() throws {
        let folder = TemporaryFolder()
        let env = try Environment(path: folder.path)
        let db = try env.database("kept")
        try env.write { txn in
            for i in UInt32(0)..<1_000 { try txn.put(db, key: i.bigEndianBytes, value: Array("value \(i)".utf8)) }
        }
        let backup = TemporaryFolder()
        try env.copy(to: backup.path + "/copy")
        let copy = try Environment(path: backup.path + "/copy")
        let copied = try copy.database("kept")
        #expect(try copy.read { txn in try txn.statistics(copied).entries } == 1_000)
        #expect(try copy.read { txn in try txn.get(copied, key: UInt32(999).bigEndianBytes) } == Array("value 999".utf8))
        // Copying onto an existing environment is refused, not merged.
        #expect(throws: LMDBError.self) { try env.copy(to: backup.path + "/copy") }
    }
}

/// Issue #17 (13): opening or dropping a database writes a transaction of
/// its own, which must grow a full map like any other write.
@Suite struct DatabaseGrowthTests {
    /// A compacted copy has no free page, and opened with a small map size
    /// its map ends at its last page: a database added by a newer version
    /// has no room until the map grows.
    func fullCompactedCopy(_ folder: TemporaryFolder) throws -> Environment {
        do {
            let env = try Environment(path: folder.path + "/live")
            let db = try env.database("filled")
            try env.write { txn in
                for i in UInt32(0)..<2_000 { try txn.put(db, key: i.bigEndianBytes, value: [UInt8](repeating: 1, count: 100)) }
            }
            try env.copy(to: folder.path + "/copy")
        }
        let env = try Environment(path: folder.path + "/copy", options: .init(mapSize: 4096))
        let info = env.info()
        #expect(info.mapSize == info.usedBytes, "the map has no page to spare")
        return env
    }

    @Test func openingADatabaseInAFullMapGrowsIt() throws {
        let folder = TemporaryFolder()
        let env = try fullCompactedCopy(folder)
        let before = env.info().mapSize
        let added = try env.database("added")
        try env.write { txn in try txn.put(added, key: [1], value: [2]) }
        #expect(env.info().mapSize > before)
        #expect(try env.read { txn in try txn.get(added, key: [1]) } == [2])
        #expect(try env.databaseNames().sorted() == ["added", "filled"])
    }

    @Test func droppingADatabaseInAFullMapGrowsIt() throws {
        let folder = TemporaryFolder()
        let env = try fullCompactedCopy(folder)
        try env.dropDatabase("filled")
        #expect(try env.databaseNames() == [])
    }
}

/// Issue #17 (14): dataclips may hold personal data, so the data folder and
/// its files are the owner's alone, and so is a backup.
@Suite struct PermissionTests {
    func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return try #require(attributes[.posixPermissions] as? Int) & 0o777
    }

    @Test func theFolderItsFilesAndACopyAreOwnerOnly() throws {
        let parent = TemporaryFolder()
        let path = parent.path + "/data"
        let env = try Environment(path: path)
        let db = try env.database("x")
        try env.write { txn in try txn.put(db, key: [1], value: [1]) }
        #expect(try mode(path) == 0o700)
        #expect(try mode(path + "/data.mdb") == 0o600)
        #expect(try mode(path + "/lock.mdb") == 0o600)
        try env.copy(to: parent.path + "/copy")
        #expect(try mode(parent.path + "/copy") == 0o700)
        #expect(try mode(parent.path + "/copy/data.mdb") == 0o600)
    }
}

/// `afterAbort`: what a write transaction's body changed in memory is taken
/// back exactly when the transaction does not commit.
@Suite struct AbortActionTests {
    @Test func abortActionsRunOnlyWhenTheTransactionDoesNotCommit() throws {
        let folder = TemporaryFolder()
        let env = try Environment(path: folder.path)
        let db = try env.database("t")
        nonisolated(unsafe) var log: [String] = []
        try env.write { txn in
            txn.afterCommit { log.append("committed 1") }
            txn.afterAbort { log.append("aborted 1") }
            try txn.put(db, key: [1], value: [1])
        }
        struct Refused: Error {}
        #expect(throws: Refused.self) {
            try env.write { txn in
                txn.afterCommit { log.append("committed 2") }
                txn.afterAbort { log.append("aborted 2") }
                try txn.put(db, key: [2], value: [2])
                throw Refused()
            }
        }
        // A full map: the first attempt aborts, the second commits.
        env.failNextCommits(1)
        var attempt = 0
        try env.write { txn in
            attempt += 1
            let n = attempt
            txn.afterCommit { log.append("committed 3.\(n)") }
            txn.afterAbort { log.append("aborted 3.\(n)") }
        }
        #expect(log == ["committed 1", "aborted 2", "aborted 3.1", "committed 3.2"])
        #expect(try env.read { txn in try txn.get(db, key: [2]) } == nil)
    }
}

/// The map's ceiling (`Options.maxMapSize`): growth stops there, and the
/// write that would pass it fails whole with `storeFull`.
@Suite struct MapCeilingTests {
    @Test func writesPastTheCeilingFailWholeAndEarlierOnesStand() throws {
        let folder = TemporaryFolder()
        let ceiling = 1 << 20
        let env = try Environment(path: folder.path, options: .init(mapSize: 256 << 10, maxMapSize: ceiling))
        let db = try env.database("things")
        let value = [UInt8](repeating: 7, count: 8_000)
        var committed = 0
        var failure: LMDBError?
        while failure == nil && committed < 1_000 {
            do {
                try env.write { txn in
                    for k in 0..<4 { try txn.put(db, key: Array("\(committed)-\(k)".utf8), value: value) }
                }
                committed += 1
            } catch let error as LMDBError {
                failure = error
            }
        }
        #expect(failure == .storeFull(limit: ceiling))
        #expect(failure?.isStoreFull == true)
        #expect(failure?.description.hasPrefix("store full") == true)
        #expect(env.info().mapSize == ceiling, "grew to the ceiling, not past it")
        #expect(committed > 10)
        let entries = try env.read { txn in try txn.statistics(db).entries }
        #expect(entries == committed * 4, "the failed write left nothing")
        // Reopened without a ceiling, the same folder takes more.
        let reopened = try Environment(path: folder.path, options: .init(mapSize: 4 << 20))
        let again = try reopened.database("things")
        try reopened.write { txn in try txn.put(again, key: Array("after".utf8), value: value) }
        #expect(try reopened.read { txn in try txn.statistics(again).entries } == committed * 4 + 1)
    }

    @Test func theDisksOwnErrorsAreNamed() {
        #expect(LMDBError.system(ENOSPC).isStoreFull)
        #expect(LMDBError.system(ENOSPC).description.hasPrefix("store full"))
        #expect(LMDBError.system(EIO).isIOError)
        #expect(LMDBError.system(EIO).description.hasPrefix("I/O error"))
        #expect(LMDBError.panic.isIOError)
        #expect(!LMDBError.system(ENOENT).isStoreFull && !LMDBError.system(ENOENT).isIOError)
    }
}

/// More readers than the environment has slots: a clear error at once, never a wait.
@Suite struct ReaderSlotTests {
    @Test func aReaderPastTheLastSlotFailsAtOnce() throws {
        let folder = TemporaryFolder()
        let env = try Environment(path: folder.path, options: .init(maxReaders: 2))
        let db = try env.database("things")
        try env.write { txn in try txn.put(db, key: [1], value: [1]) }
        // Two readers hold both slots until released.
        holdingReaderSlots(env, 2) {
            let started = ContinuousClock.now
            #expect(throws: LMDBError.readersFull) { try env.read { txn in try txn.get(db, key: [1]) } }
            #expect(ContinuousClock.now - started < .seconds(2))
        }
        #expect(LMDBError.readersFull.description.contains("too many concurrent readers"))
        // The slots are free again.
        #expect(try env.read { txn in try txn.get(db, key: [1]) } == [1])
    }
}
