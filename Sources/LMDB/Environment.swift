import CLMDB

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An LMDB environment: one folder holding `data.mdb` and `lock.mdb`, with any
/// number of named databases. Open one per folder per process and share it.
///
/// ```swift
/// let env = try Environment(path: "cairn-data", options: .init(mapSize: 1 << 20))
/// let events = try env.database("events")
/// try env.write { txn in try txn.put(events, key: [0, 1], value: [42]) }
/// let value = try env.read { txn in try txn.get(events, key: [0, 1]) }
/// ```
///
/// Transactions are closures, so none is left open. Write transactions are
/// serialised; read transactions may run from any thread or task at once
/// (the environment is opened with `MDB_NOTLS`). When a write fills the map,
/// the environment doubles the map size and runs the write closure again, so
/// **a write closure may run more than once** and must not have side effects
/// outside the transaction.
public final class Environment: @unchecked Sendable {
    /// How to open an environment.
    public struct Options: Sendable {
        /// Initial map size in bytes; it grows on demand. Rounded up to the OS page size by LMDB.
        public var mapSize: Int
        /// The ceiling the map may grow to, in bytes (`nil`: none but the
        /// disk). A write that would need more fails with `storeFull`,
        /// and is aborted whole.
        public var maxMapSize: Int?
        /// The largest number of named databases.
        public var maxDatabases: Int
        /// The largest number of concurrent read transactions.
        public var maxReaders: Int
        /// Skip the fsync at commit (`MDB_NOSYNC`): faster, but a system crash may lose recent commits.
        public var noSync: Bool
        /// Open without writing (`MDB_RDONLY`).
        public var readOnly: Bool

        public init(
            mapSize: Int = 64 << 20,
            maxDatabases: Int = 256,
            maxReaders: Int = 256,
            noSync: Bool = false,
            readOnly: Bool = false,
            maxMapSize: Int? = nil
        ) {
            // Whole pages: LMDB maps in pages, and a map of part of one is not what was asked.
            let page = max(4_096, Int(sysconf(Int32(_SC_PAGESIZE))))
            let ceiling = maxMapSize.map { max(page, $0 / page * page) }
            self.maxMapSize = ceiling
            self.mapSize = ceiling.map { min(mapSize, $0) } ?? mapSize
            self.maxDatabases = maxDatabases
            self.maxReaders = maxReaders
            self.noSync = noSync
            self.readOnly = readOnly
        }
    }

    let handle: OpaquePointer
    /// The folder this environment lives in.
    public let path: String
    public let options: Options
    let gate = ResizeGate()  // internal: tests hold it to show who waits for a remap
    private let writer = WriterLock()
    /// Tests only: this many more write transactions fail at their commit
    /// with `mapFull`, as a commit that finds no room for the free list
    /// does, after their closure has run to its end. Guarded by `writer`.
    private nonisolated(unsafe) var commitsToFail = 0
    private let databases = WriterLock()
    private nonisolated(unsafe) var openDatabases: [String: Database] = [:]

    /// Opens (creating if needed) the environment in the folder `path`.
    /// - Throws: `LMDBError.invalid` when the folder holds a file that is not LMDB,
    ///   `.versionMismatch` for another LMDB format, `.system(errno)` for I/O errors.
    ///
    /// A folder it creates is the owner's alone (0700), and so are the files
    /// LMDB creates in it (0600): dataclips may hold personal data. An
    /// existing folder keeps the mode it has.
    public init(path: String, options: Options = Options()) throws(LMDBError) {
        self.path = path
        self.options = options
        if !options.readOnly {
            if mkdir(path, 0o700) != 0 && errno != EEXIST { throw .system(errno) }
        }
        var env: OpaquePointer?
        try LMDBError.check(mdb_env_create(&env))
        guard let env else { throw .system(ENOMEM) }
        do {
            try LMDBError.check(mdb_env_set_maxdbs(env, MDB_dbi(options.maxDatabases)))
            try LMDBError.check(mdb_env_set_maxreaders(env, UInt32(options.maxReaders)))
            try LMDBError.check(mdb_env_set_mapsize(env, options.mapSize))
            var flags = UInt32(MDB_NOTLS)
            if options.noSync { flags |= UInt32(MDB_NOSYNC) }
            if options.readOnly { flags |= UInt32(MDB_RDONLY) }
            try LMDBError.check(mdb_env_open(env, path, flags, 0o600))
            // Reader slots left by processes killed inside a read pin the
            // pages of the state they read: no writer reuses them, and the
            // file grows, until someone asks (LMDB never does by itself).
            Self.reclaimStaleReaders(env)
        } catch {
            mdb_env_close(env)
            throw error
        }
        handle = env
    }

    deinit {
        mdb_env_close(handle)
    }

    // MARK: Databases

    /// The named database `name`, created if missing (unless read-only).
    /// The handle is opened once and cached.
    public func database(_ name: String, flags: Database.Flags = []) throws(LMDBError) -> Database {
        try databases.withLock { () throws(LMDBError) -> Database in
            if let db = openDatabases[name] { return db }
            let create: UInt32 = options.readOnly ? 0 : UInt32(MDB_CREATE)
            let dbi = try withRawTransaction(write: !options.readOnly) { txn throws(LMDBError) -> MDB_dbi in
                var dbi: MDB_dbi = 0
                try LMDBError.check(mdb_dbi_open(txn, name, flags.rawValue | create, &dbi))
                return dbi
            }
            let db = Database(handle: dbi, name: name)
            openDatabases[name] = db
            return db
        }
    }

    /// Deletes the named database `name` and everything in it (nothing if
    /// there is none). Its cached handle, if any, must not be used again.
    public func dropDatabase(_ name: String) throws(LMDBError) {
        try databases.withLock { () throws(LMDBError) in
            try withRawTransaction(write: true) { txn throws(LMDBError) in
                var dbi: MDB_dbi = 0
                let code = mdb_dbi_open(txn, name, 0, &dbi)
                if code == MDB_NOTFOUND { return }
                try LMDBError.check(code)
                try LMDBError.check(mdb_drop(txn, dbi, 1))
            }
            openDatabases[name] = nil
        }
    }

    /// Names of the named databases that exist in this environment.
    public func databaseNames() throws -> [String] {
        try read { txn in
            let main = try txn.mainDatabase()
            var names: [String] = []
            try txn.scan(main) { key, _ in
                names.append(String(decoding: key, as: UTF8.self))
                return true
            }
            return names
        }
    }

    // MARK: Transactions

    /// Runs `body` in a read-only transaction. The transaction, and any buffer
    /// it hands out, is valid only during the execution of the closure.
    public func read<T>(_ body: (ReadTransaction) throws -> T) throws -> T {
        while true {
            let attempt = try gate.shared { () throws -> Attempt<T> in
                guard let raw = try beginTransaction(flags: UInt32(MDB_RDONLY)) else { return .mapResized }
                let txn = ReadTransaction(handle: raw)
                defer {
                    txn.end()
                    mdb_txn_abort(raw)
                }
                return .done(try body(txn))
            }
            switch attempt {
            case .done(let result): return result
            case .mapResized: try adoptGrownMap()
            }
        }
    }

    /// A transaction's outcome, or that it could not begin because another
    /// process grew the map (see `beginTransaction`).
    private enum Attempt<T> {
        case done(T)
        case mapResized
    }

    /// Runs `body` in a write transaction and commits it when `body` returns;
    /// aborts it when `body` throws (nothing of it is written).
    ///
    /// Writes are serialised. If the map fills up, the transaction is aborted,
    /// the map doubled and `body` run again.
    public func write<T>(_ body: (WriteTransaction) throws -> T) throws -> T {
        if writer.isHeldByCurrentThread { throw LMDBError.nestedWrite }
        return try writer.withLock { () throws -> T in
            while true {
                do {
                    let attempt = try gate.shared { () throws -> Attempt<T> in
                        guard let raw = try beginTransaction(flags: 0) else { return .mapResized }
                        let txn = WriteTransaction(handle: raw)
                        var committed = false
                        var succeeded = false
                        defer {
                            if !succeeded { for action in txn.abortActions { action() } }
                            txn.end()
                            if !committed { mdb_txn_abort(raw) }
                        }
                        let result = try body(txn)
                        if commitsToFail > 0 {
                            commitsToFail -= 1
                            throw LMDBError.mapFull
                        }
                        committed = true  // mdb_txn_commit frees the txn even when it fails.
                        try checkCommit(mdb_txn_commit(raw))
                        succeeded = true
                        // Still holding the writer lock: the next writer sees what these did.
                        for action in txn.commitActions { action() }
                        return .done(result)
                    }
                    switch attempt {
                    case .done(let result): return result
                    case .mapResized: try adoptGrownMap()
                    }
                } catch LMDBError.mapFull {
                    try makeRoom()
                }
            }
        }
    }

    /// A commit's result. LMDB reports a short write as `EIO` (it has no
    /// better code), and a disk that fills up mid-write gives exactly that:
    /// when the folder's file system is (nearly) out of space, the failure
    /// is called what it is, `ENOSPC` ("store full": make room and retry),
    /// not a failing disk.
    private func checkCommit(_ code: Int32) throws(LMDBError) {
        if code == EIO && fileSystemIsFull() { throw .system(ENOSPC) }
        try LMDBError.check(code)
    }

    /// Whether the file system holding the folder has less than 1 MiB free
    /// to this user (what a short write leaves behind on a full disk).
    private func fileSystemIsFull() -> Bool {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else { return false }
        return UInt64(stats.f_bavail) * UInt64(stats.f_frsize) < 1 << 20
    }

    /// Tests only: the next `count` write transactions fail at their commit
    /// with `mapFull` (and so run again in a grown map).
    func failNextCommits(_ count: Int) {
        writer.withLock { commitsToFail = count }
    }

    /// Begins a transaction; `nil` when another process has grown the map
    /// past this one's (`MDB_MAP_RESIZED`): the caller then leaves the gate,
    /// adopts the new size (`adoptGrownMap`) and begins again. Called with
    /// the gate held shared. If this thread holds it more than once, one of
    /// its own transactions is open, and the remap would have to wait for
    /// it: `.mapResized` is thrown instead (the outer transaction must end
    /// first).
    private func beginTransaction(flags: UInt32) throws(LMDBError) -> OpaquePointer? {
        var txn: OpaquePointer?
        var code = mdb_txn_begin(handle, nil, flags, &txn)
        if code == MDB_READERS_FULL && Self.reclaimStaleReaders(handle) {
            code = mdb_txn_begin(handle, nil, flags, &txn)
        }
        if code == MDB_MAP_RESIZED {
            if gate.depth > 1 { throw .mapResized }
            return nil
        }
        try LMDBError.check(code)
        return txn!
    }

    /// Frees the reader slots of processes that have exited (killed in the
    /// middle of a read); whether there were any.
    @discardableResult
    private static func reclaimStaleReaders(_ env: OpaquePointer) -> Bool {
        var dead: Int32 = 0
        return mdb_reader_check(env, &dead) == 0 && dead > 0
    }

    /// Adopts the map size another process grew the map to. LMDB unmaps the
    /// old map and maps the file again (maybe elsewhere), so this waits until
    /// no transaction of this process is active, like a growth.
    private func adoptGrownMap() throws(LMDBError) {
        if gate.isHeldByCurrentThread { throw .mapResized }
        try gate.exclusive { () throws(LMDBError) in
            try LMDBError.check(mdb_env_set_mapsize(handle, 0))
        }
    }

    /// A transaction of LMDB's own handle, for opening and dropping
    /// databases. A write grows a full map and runs `body` again, like `write`.
    private func withRawTransaction<T>(write: Bool, _ body: (OpaquePointer) throws(LMDBError) -> T) throws(LMDBError) -> T {
        func run() throws(LMDBError) -> T {
            while true {
                let attempt = try gate.shared { () throws(LMDBError) -> Attempt<T> in
                    guard let txn = try beginTransaction(flags: write ? 0 : UInt32(MDB_RDONLY)) else { return .mapResized }
                    let result: T
                    do throws(LMDBError) {
                        result = try body(txn)
                    } catch {
                        mdb_txn_abort(txn)
                        throw error
                    }
                    try checkCommit(mdb_txn_commit(txn))
                    return .done(result)
                }
                switch attempt {
                case .done(let result): return result
                case .mapResized: try adoptGrownMap()
                }
            }
        }
        if write {
            if writer.isHeldByCurrentThread { throw .nestedWrite }
            return try writer.withLock { () throws(LMDBError) -> T in
                while true {
                    do throws(LMDBError) {
                        return try run()
                    } catch .mapFull {
                        try makeRoom()
                    }
                }
            }
        }
        return try run()
    }

    /// Makes room for `bytes` more beyond the pages in use, doubling the map
    /// as often as needed, before a large write known in advance (a rebuild
    /// writes about as much again as the projections hold): otherwise it
    /// fills the map midway, and a filled transaction starts over. Waits
    /// until no transaction of this process is active, like a growth.
    public func reserve(_ bytes: Int) throws(LMDBError) {
        // Resizing waits for every transaction of the process: begun inside
        // one of this thread, it would wait for itself.
        if writer.isHeldByCurrentThread || gate.isHeldByCurrentThread { throw .nestedWrite }
        try writer.withLock { () throws(LMDBError) in
            try gate.exclusive { () throws(LMDBError) in
                let info = self.unguardedInfo()
                var size = info.mapSize
                while size - info.usedBytes < bytes { size *= 2 }
                // Up to the ceiling only: the write itself meets it, as `storeFull`.
                if let ceiling = options.maxMapSize { size = max(info.mapSize, min(size, ceiling)) }
                if size != info.mapSize { try LMDBError.check(mdb_env_set_mapsize(handle, size)) }
            }
        }
    }

    /// Makes room for a write that found the map full, to run again. First
    /// frees the slots of readers whose processes have exited: the pages
    /// they pinned may be all that is missing, and the same map may then
    /// do (once: no slot frees twice). Else doubles the map, up to its
    /// ceiling (`storeFull` once there), waiting until no transaction of
    /// this process is active; a write begun inside a read of the same
    /// thread would wait for itself, so it gets the `mapFull` instead.
    private func makeRoom() throws(LMDBError) {
        if Self.reclaimStaleReaders(handle) { return }
        if gate.isHeldByCurrentThread { throw .mapFull }
        try gate.exclusive { () throws(LMDBError) in
            let current = self.unguardedInfo().mapSize
            var next = current * 2
            if let ceiling = options.maxMapSize {
                guard current < ceiling else { throw .storeFull(limit: ceiling) }
                next = min(next, ceiling)
            }
            try LMDBError.check(mdb_env_set_mapsize(handle, next))
        }
    }

    // MARK: Information

    /// Facts about the environment, for `cairn info` and tests.
    public struct Info: Sendable {
        public let mapSize: Int
        public let pageSize: Int
        public let lastPage: Int
        public let maxReaders: Int
        public let readersInUse: Int
        /// Bytes of the map in use (last page + 1 pages).
        public var usedBytes: Int { (lastPage + 1) * pageSize }
    }

    /// Read under the gate: LMDB reads the meta pages through pointers into
    /// the map, which a growth on another thread unmaps (a `/metrics`
    /// scrape during a growth read freed memory).
    public func info() -> Info {
        gate.shared { unguardedInfo() }
    }

    /// `info()` for the remaps themselves, which already hold the gate
    /// exclusively (taking it shared there would wait for itself).
    private func unguardedInfo() -> Info {
        var info = MDB_envinfo()
        mdb_env_info(handle, &info)
        var stat = MDB_stat()
        mdb_env_stat(handle, &stat)
        return Info(
            mapSize: info.me_mapsize,
            pageSize: Int(stat.ms_psize),
            lastPage: info.me_last_pgno,
            maxReaders: Int(info.me_maxreaders),
            readersInUse: Int(info.me_numreaders)
        )
    }

    /// Writes a consistent copy of the environment into the folder `path`
    /// (created if missing, must not hold an environment), while readers and
    /// writers go on. `compact` omits free pages (smaller, a little slower).
    /// Like the environment's own, a folder it creates is the owner's alone
    /// (0700), and so is the copy (0600).
    public func copy(to path: String, compact: Bool = true) throws(LMDBError) {
        if mkdir(path, 0o700) != 0 && errno != EEXIST { throw .system(errno) }
        // The file is created owner-only before a byte is written (LMDB's own
        // `mdb_env_copy2` creates it 0666 less the umask, so a chmod after
        // it leaves a window in which others may open the copy), and never
        // over an existing file, as `mdb_env_copy2` refuses too.
        let fd = open(path + "/data.mdb", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd < 0 { throw .system(errno) }
        var closed = false
        defer { if !closed { close(fd) } }
        // The copy is a transaction of this process like any other: LMDB
        // walks the map's pages for as long as it runs, so it holds the gate
        // and a growth waits for it (unguarded, a flush growing the map
        // mid-copy unmapped the pages under it). A map another process grew
        // is adopted and the copy begun again, from an empty file.
        while true {
            let code = gate.shared { mdb_env_copyfd2(handle, fd, compact ? UInt32(MDB_CP_COMPACT) : 0) }
            guard code == MDB_MAP_RESIZED else {
                try LMDBError.check(code)
                break
            }
            try adoptGrownMap()
            if ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0 { throw .system(errno) }
        }
        if fsync(fd) != 0 { throw .system(errno) }
        closed = true
        if close(fd) != 0 { throw .system(errno) }
    }

    /// Flushes buffers to disk; needed only when opened with `noSync`.
    public func sync() throws(LMDBError) {
        try LMDBError.check(mdb_env_sync(handle, 1))
    }
}
