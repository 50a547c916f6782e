import Foundation
import TestSupport
import Testing

@testable import LMDB

/// A process killed in the middle of a read leaves its reader slot taken:
/// LMDB frees such slots only when asked (`mdb_reader_check`). Cairn asks
/// when it opens a folder, when every slot is taken and when a write finds
/// the map full, so a folder that killed readers (a `cairn` command
/// interrupted beside `serve`) neither runs out of slots nor fills up with
/// pages nobody reads.
@Suite struct StaleReaderTests {
    /// Opens `folder` with Debian's liblmdb (the library Cairn links), begins
    /// a read, says so, and waits to be killed.
    static let reader = """
        import ctypes, sys, time
        lib = ctypes.CDLL("liblmdb.so.0")
        env = ctypes.c_void_p()
        assert lib.mdb_env_create(ctypes.byref(env)) == 0
        assert lib.mdb_env_set_mapsize(env, ctypes.c_size_t(64 << 20)) == 0
        MDB_NOTLS, MDB_RDONLY = 0x200000, 0x20000
        assert lib.mdb_env_open(env, sys.argv[1].encode(), MDB_NOTLS, 0o600) == 0
        txn = ctypes.c_void_p()
        assert lib.mdb_txn_begin(env, None, MDB_RDONLY, ctypes.byref(txn)) == 0
        print("reading", flush=True)
        time.sleep(120)
        """

    /// Runs the reader on `folder` and kills it once it reads.
    static func killAReaderMidRead(_ folder: TemporaryFolder) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", Self.reader, folder.path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let said = String(decoding: output.fileHandleForReading.readData(ofLength: 8), as: UTF8.self)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try #require(said == "reading\n", "the reader did not begin its read")
    }

    @Test func theSlotOfAReaderKilledMidReadIsTakenBack() throws {
        let folder = TemporaryFolder()
        let env = try Environment(path: folder.path, options: .init(maxReaders: 2))
        let db = try env.database("things")
        try env.write { txn in try txn.put(db, key: [1], value: [7]) }
        try Self.killAReaderMidRead(folder)
        // Two reads at once take both slots, one of them the dead reader's.
        let value = try env.read { _ in try env.read { txn in try txn.get(db, key: [1]) } }
        #expect(value == [7])
    }

    /// A folder at its ceiling: a value replaced by one as large fits only
    /// in the pages the old one leaves, which the killed reader pinned.
    @Test func pagesAKilledReaderPinnedAreReusedBeforeTheStoreIsFull() throws {
        let folder = TemporaryFolder()
        let ceiling = 1 << 20
        let env = try Environment(path: folder.path, options: .init(mapSize: ceiling, maxMapSize: ceiling))
        let db = try env.database("things")
        let large = [UInt8](repeating: 1, count: 600 << 10)
        try env.write { txn in try txn.put(db, key: [1], value: large) }
        try Self.killAReaderMidRead(folder)
        try env.write { txn in _ = try txn.delete(db, key: [1]) }
        // LMDB reuses a page one transaction after the one that freed it.
        try env.write { txn in try txn.put(db, key: [3], value: [0]) }
        try env.write { txn in try txn.put(db, key: [2], value: large) }
        #expect(try env.read { txn in try txn.get(db, key: [2]) }?.count == large.count)
    }
}
