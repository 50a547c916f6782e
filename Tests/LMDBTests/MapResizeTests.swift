import CLMDB
import Foundation
import TestSupport
import Testing

@testable import LMDB

/// Issue #17 (5): when another process has grown the map past this one's,
/// the next transaction begun here gets `MDB_MAP_RESIZED` and the map must
/// be re-mapped at the new size. LMDB unmaps the old map to do it, so no
/// transaction of this process may be running meanwhile: the remap waits
/// for them, as a growth does.
@Suite struct MapResizeTests {
    /// Another process: writes `count` values of 4 KiB into the database
    /// "ballast" with a map of `mapSize` bytes (LMDB's C API through
    /// Python's ctypes, so no second Swift build is needed).
    static let grower = """
        import ctypes, sys
        lib = ctypes.CDLL("liblmdb.so.0")
        class Val(ctypes.Structure):
            _fields_ = [("size", ctypes.c_size_t), ("data", ctypes.c_void_p)]
        lib.mdb_env_set_mapsize.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
        lib.mdb_env_open.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_uint, ctypes.c_uint]
        lib.mdb_env_set_maxdbs.argtypes = [ctypes.c_void_p, ctypes.c_uint]
        lib.mdb_txn_begin.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint, ctypes.c_void_p]
        lib.mdb_dbi_open.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_uint, ctypes.c_void_p]
        lib.mdb_put.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint]
        lib.mdb_txn_commit.argtypes = [ctypes.c_void_p]
        lib.mdb_env_close.argtypes = [ctypes.c_void_p]
        def check(rc, what):
            if rc != 0: sys.exit("%s failed: %d" % (what, rc))
        env = ctypes.c_void_p()
        check(lib.mdb_env_create(ctypes.byref(env)), "create")
        check(lib.mdb_env_set_maxdbs(env, 16), "maxdbs")
        check(lib.mdb_env_set_mapsize(env, int(sys.argv[2])), "mapsize")
        check(lib.mdb_env_open(env, sys.argv[1].encode(), 0, 0o600), "open")
        txn = ctypes.c_void_p()
        check(lib.mdb_txn_begin(env, None, 0, ctypes.byref(txn)), "begin")
        dbi = ctypes.c_uint()
        check(lib.mdb_dbi_open(txn, b"ballast", 0x40000, ctypes.byref(dbi)), "dbi_open")
        value = ctypes.create_string_buffer(4096)
        for i in range(int(sys.argv[3])):
            key = ctypes.create_string_buffer(i.to_bytes(8, "big"), 8)
            k = Val(8, ctypes.cast(key, ctypes.c_void_p))
            v = Val(4096, ctypes.cast(value, ctypes.c_void_p))
            check(lib.mdb_put(txn, dbi, ctypes.byref(k), ctypes.byref(v), 0), "put")
        check(lib.mdb_txn_commit(txn), "commit")
        lib.mdb_env_close(env)
        """

    static func grow(_ path: String, mapSize: Int, values: Int) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", grower, path, String(mapSize), String(values)]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "the other process grew the map")
    }

    /// Where the map is and how large, as LMDB has it now.
    static func mapping(_ env: Environment) -> (address: UnsafeMutableRawPointer?, size: Int) {
        var info = MDB_envinfo()
        mdb_env_info(env.handle, &info)
        return (info.me_mapaddr, info.me_mapsize)
    }

    @Test func aRemapWaitsForTheReadersOfThisProcess() throws {
        let folder = TemporaryFolder()
        let env = try Environment(path: folder.path, options: .init(mapSize: 1 << 20))
        let db = try env.database("kept")
        let value = [UInt8](repeating: 0x5A, count: 3_000)
        try env.write { txn in
            for i in UInt32(0)..<64 { try txn.put(db, key: i.bigEndianBytes, value: value) }
        }

        let holding = DispatchSemaphore(value: 0)
        let proceed = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var mapMovedUnderReader = false
        nonisolated(unsafe) var readBack: [UInt8] = []
        // A reader holding values borrowed from the map.
        let reader = BackgroundThread {
            try? env.read { txn in
                let before = Self.mapping(env)
                var borrowed: [UnsafeRawBufferPointer] = []
                for i in UInt32(0)..<64 {
                    let key = i.bigEndianBytes
                    if let found = try key.withUnsafeBytes({ k in try txn.get(db, key: k) }) { borrowed.append(found) }
                }
                holding.signal()
                proceed.wait()
                let after = Self.mapping(env)
                // Touching a value of an unmapped map would crash the process: check first.
                mapMovedUnderReader = after.address != before.address || after.size != before.size
                if !mapMovedUnderReader { readBack = borrowed.flatMap { Array($0) } }
            }
        }
        holding.wait()
        // Another process writes 8 MiB, far past this process's 1 MiB map.
        try Self.grow(folder.path, mapSize: 32 << 20, values: 2_048)
        // A transaction begun now finds the map resized: it must not remap
        // while the reader is inside its transaction.
        nonisolated(unsafe) var ballast: Result<Int, any Error> = .success(0)
        let other = BackgroundThread {
            ballast = Result {
                let db = try env.database("ballast")  // a write transaction: the first to meet the resize
                return try env.read { txn in try txn.statistics(db).entries }
            }
        }
        usleep(300_000)
        proceed.signal()
        reader.join()
        other.join()
        #expect(!mapMovedUnderReader, "the map was remapped under a live read transaction")
        #expect(readBack == Array(repeating: 0x5A, count: 64 * 3_000))
        #expect(try ballast.get() == 2_048)
        #expect(env.info().mapSize >= 32 << 20)
    }

    /// A transaction begun inside another of the same thread cannot wait
    /// for the outer one to end: it reports the resize instead of
    /// deadlocking or unmapping the outer one's pages.
    @Test func aNestedTransactionReportsTheResizeInsteadOfDeadlocking() throws {
        let folder = TemporaryFolder()
        let env = try Environment(path: folder.path, options: .init(mapSize: 1 << 20))
        let db = try env.database("kept")
        try env.write { txn in try txn.put(db, key: [1], value: [1]) }
        try env.read { outer in
            try Self.grow(folder.path, mapSize: 32 << 20, values: 2_048)
            #expect(throws: LMDBError.mapResized) { try env.read { inner in try inner.get(db, key: [1]) } }
            #expect(try outer.get(db, key: [1]) == [1])
        }
        // Once the outer transaction has ended, the next one adopts the new size.
        #expect(try env.read { txn in try txn.get(db, key: [1]) } == [1])
        #expect(env.info().mapSize >= 32 << 20)
    }

    /// `cairn backup` copies while the service writes. LMDB walks the map's
    /// pages for the whole copy, so a remap must wait for it as for any
    /// transaction; the copy took no part in the gate, and a flush growing
    /// the map mid-copy unmapped the pages under it (session 24's review).
    /// Here the gate is held as a remap holds it: the copy waits.
    @Test func aCopyWaitsForARemapInProgress() throws {
        let folder = TemporaryFolder()
        let env = try Environment(path: folder.path, options: .init(mapSize: 1 << 20))
        let db = try env.database("kept")
        try env.write { txn in try txn.put(db, key: [1], value: [1]) }
        let destination = folder.path + "/copy"
        let (released, finished) = try Self.timesWhileRemapping(env) { try env.copy(to: destination) }
        #expect(finished >= released, "the copy ran while the map was being remapped")
        let copy = try Environment(path: folder.path + "/copy")
        let kept = try copy.database("kept")
        #expect(try copy.read { txn in try txn.get(kept, key: [1]) } == [1])
    }

    /// `info` reads LMDB's meta pages through pointers into the map, and
    /// `/metrics` calls it with no transaction open: it waits for a remap too.
    @Test func infoWaitsForARemapInProgress() throws {
        let folder = TemporaryFolder()
        let env = try Environment(path: folder.path, options: .init(mapSize: 1 << 20))
        let (released, finished) = try Self.timesWhileRemapping(env) { #expect(env.info().mapSize == 1 << 20) }
        #expect(finished >= released, "info read the map while it was being remapped")
    }

    /// Runs `body` on another thread while this one holds the gate as a
    /// remap does, for 300 ms: when the gate was released, and when `body` ended.
    static func timesWhileRemapping(
        _ env: Environment, _ body: @escaping @Sendable () throws -> Void
    ) throws -> (released: UInt64, finished: UInt64) {
        let holding = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var released: UInt64 = 0
        let remap = BackgroundThread {
            env.gate.exclusive {
                holding.signal()
                release.wait()
                released = DispatchTime.now().uptimeNanoseconds
            }
        }
        holding.wait()
        nonisolated(unsafe) var outcome: Result<UInt64, any Error> = .success(0)
        let worker = BackgroundThread {
            outcome = Result {
                try body()
                return DispatchTime.now().uptimeNanoseconds
            }
        }
        usleep(300_000)
        release.signal()
        remap.join()
        worker.join()
        return (released, try outcome.get())
    }

    /// A copy begun after another process grew the map failed with
    /// `MDB_MAP_RESIZED`; it adopts the new size and copies everything.
    @Test func aCopyAdoptsAMapAnotherProcessGrew() throws {
        let folder = TemporaryFolder()
        let env = try Environment(path: folder.path, options: .init(mapSize: 1 << 20))
        let db = try env.database("kept")
        try env.write { txn in try txn.put(db, key: [1], value: [1]) }
        try Self.grow(folder.path, mapSize: 32 << 20, values: 2_048)
        try env.copy(to: folder.path + "/copy")
        let copy = try Environment(path: folder.path + "/copy", options: .init(mapSize: 64 << 20))
        let ballast = try copy.database("ballast")
        let kept = try copy.database("kept")
        #expect(try copy.read { txn in try txn.statistics(ballast).entries } == 2_048)
        #expect(try copy.read { txn in try txn.get(kept, key: [1]) } == [1])
    }
}

/// A thread running `body`, for tests that need one outside Swift's pool.
final class BackgroundThread: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)

    init(_ body: @escaping @Sendable () -> Void) {
        let thread = Thread { [done] in
            body()
            done.signal()
        }
        thread.start()
    }

    func join() { done.wait() }
}
