import Foundation
import TestSupport
import Testing

@testable import LMDB

/// A process killed in the middle of a read leaves its reader slot taken:
/// LMDB frees such slots only when asked (`mdb_reader_check`). Cairn asks
/// when it opens a folder and when every slot is taken, so a folder that
/// killed readers (a `cairn` command interrupted beside `serve`) neither
/// runs out of slots nor keeps old pages pinned.
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

    @Test func theSlotOfAReaderKilledMidReadIsTakenBack() throws {
        let folder = TemporaryFolder()
        let env = try Environment(path: folder.path, options: .init(maxReaders: 2))
        let db = try env.database("things")
        try env.write { txn in try txn.put(db, key: [1], value: [7]) }

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

        // Two reads at once take both slots, one of them the dead reader's.
        let value = try env.read { _ in try env.read { txn in try txn.get(db, key: [1]) } }
        #expect(value == [7])
    }
}
