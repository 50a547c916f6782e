import CLMDB

/// A read-only view of the environment at one moment.
///
/// Valid only during the execution of the closure passed to
/// `Environment.read` (or `write`, whose transaction is also a reader).
/// Buffers it returns point into the memory map and are valid only until the
/// transaction ends (and, for a write transaction, until the next write):
/// copy out what must outlive it. Using it after the closure returns throws
/// `LMDBError.transactionEnded`.
public class ReadTransaction {
    let handle: OpaquePointer
    private(set) var isLive = true

    init(handle: OpaquePointer) {
        self.handle = handle
    }

    func end() { isLive = false }

    @inline(__always)
    func checkLive() throws(LMDBError) {
        if !isLive { throw .transactionEnded }
    }

    /// The value stored under `key`, borrowed from the map, or `nil` if absent.
    public func get(_ db: Database, key: UnsafeRawBufferPointer) throws(LMDBError) -> UnsafeRawBufferPointer? {
        try checkLive()
        var k = MDB_val(borrowing: key)
        var v = MDB_val()
        let code = mdb_get(handle, db.handle, &k, &v)
        if code == MDB_NOTFOUND { return nil }
        try LMDBError.check(code)
        return v.buffer
    }

    /// The value stored under `key`, copied out, or `nil` if absent.
    public func get(_ db: Database, key: [UInt8]) throws(LMDBError) -> [UInt8]? {
        try withBorrowed(key) { (k) throws(LMDBError) -> [UInt8]? in
            try get(db, key: k).map { Array($0) }
        }
    }

    /// Whether `key` is present.
    public func contains(_ db: Database, key: [UInt8]) throws(LMDBError) -> Bool {
        try withBorrowed(key) { (k) throws(LMDBError) -> Bool in try get(db, key: k) != nil }
    }

    /// Runs `body` with a cursor over `db`; the cursor is closed when `body` returns.
    public func withCursor<T>(_ db: Database, _ body: (Cursor) throws -> T) throws -> T {
        let cursor = try openCursor(db)
        defer { cursor.close() }
        return try body(cursor)
    }

    private func openCursor(_ db: Database) throws(LMDBError) -> Cursor {
        try checkLive()
        var raw: OpaquePointer?
        try LMDBError.check(mdb_cursor_open(handle, db.handle, &raw))
        return Cursor(handle: raw!, transaction: self, ownsHandle: !(self is WriteTransaction))
    }

    /// Visits the entries of `db` whose keys lie in `range`, in key order (or
    /// reversed), until `body` returns `false`. Keys and values are borrowed.
    public func scan(
        _ db: Database,
        in range: KeyRange = .all,
        reverse: Bool = false,
        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        try withCursor(db) { cursor in
            var entry = reverse ? try cursor.seekLast(in: range) : try cursor.seekFirst(in: range)
            while let current = entry, range.contains(current.key) {
                guard try body(current.key, current.value) else { return }
                entry = reverse ? try cursor.previous() : try cursor.next()
            }
        }
    }

    /// The unnamed main database, whose keys are the names of the named ones.
    func mainDatabase() throws(LMDBError) -> Database {
        try checkLive()
        var dbi: MDB_dbi = 0
        try LMDBError.check(mdb_dbi_open(handle, nil, 0, &dbi))
        return Database(handle: dbi, name: nil)
    }

    /// Entry count and size of `db`.
    public func statistics(_ db: Database) throws(LMDBError) -> Statistics {
        try checkLive()
        var stat = MDB_stat()
        try LMDBError.check(mdb_stat(handle, db.handle, &stat))
        return Statistics(
            entries: stat.ms_entries,
            depth: Int(stat.ms_depth),
            pages: stat.ms_branch_pages + stat.ms_leaf_pages + stat.ms_overflow_pages,
            pageSize: Int(stat.ms_psize)
        )
    }
}

/// Size figures of one database.
public struct Statistics: Sendable, Equatable {
    public let entries: Int
    public let depth: Int
    public let pages: Int
    public let pageSize: Int
    public var bytes: Int { pages * pageSize }
}

/// A read-write transaction. It can read too, and sees its own writes.
/// Valid only during the execution of the closure passed to `Environment.write`.
public final class WriteTransaction: ReadTransaction {
    var commitActions: [() -> Void] = []
    var abortActions: [() -> Void] = []

    /// Runs `action` once the transaction has committed, before the next
    /// write transaction can begin; never if it aborts. For in-memory state
    /// (caches) that must change exactly when the data does.
    public func afterCommit(_ action: @escaping () -> Void) {
        commitActions.append(action)
    }

    /// Runs `action` if the transaction does not commit (its body threw, or
    /// the commit failed), before the next write transaction of this process
    /// can begin, and, unless the commit itself failed, while LMDB's write
    /// lock is still held, so no other process has written meanwhile. For
    /// in-memory state that ran ahead of the data and must be taken back.
    public func afterAbort(_ action: @escaping () -> Void) {
        abortActions.append(action)
    }

    /// How a `put` treats an existing key.
    public struct PutFlags: OptionSet, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        /// Fail with `.keyExists` instead of overwriting.
        public static let noOverwrite = PutFlags(rawValue: UInt32(MDB_NOOVERWRITE))
        /// The key sorts after every key in the database: write it at the end
        /// without a search (`MDB_APPEND`). Out-of-order keys throw `.appendOutOfOrder`.
        public static let append = PutFlags(rawValue: UInt32(MDB_APPEND))
    }

    /// Stores `value` under `key`.
    public func put(
        _ db: Database, key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, flags: PutFlags = []
    ) throws(LMDBError) {
        try checkLive()
        var k = MDB_val(borrowing: key)
        var v = MDB_val(borrowing: value)
        let code = mdb_put(handle, db.handle, &k, &v, flags.rawValue)
        if code == MDB_KEYEXIST && flags.contains(.append) { throw .appendOutOfOrder }
        try LMDBError.check(code)
    }

    /// Stores `value` under `key`.
    public func put(_ db: Database, key: [UInt8], value: [UInt8], flags: PutFlags = []) throws(LMDBError) {
        try withBorrowed(key) { (k) throws(LMDBError) in
            try withBorrowed(value) { (v) throws(LMDBError) in
                try put(db, key: k, value: v, flags: flags)
            }
        }
    }

    /// Removes `key`; returns whether it was present.
    @discardableResult
    public func delete(_ db: Database, key: UnsafeRawBufferPointer) throws(LMDBError) -> Bool {
        try checkLive()
        var k = MDB_val(borrowing: key)
        let code = mdb_del(handle, db.handle, &k, nil)
        if code == MDB_NOTFOUND { return false }
        try LMDBError.check(code)
        return true
    }

    /// Removes `key`; returns whether it was present.
    @discardableResult
    public func delete(_ db: Database, key: [UInt8]) throws(LMDBError) -> Bool {
        try withBorrowed(key) { (k) throws(LMDBError) -> Bool in try delete(db, key: k) }
    }

    /// Removes every entry of `db`, keeping the database itself.
    public func clear(_ db: Database) throws(LMDBError) {
        try checkLive()
        try LMDBError.check(mdb_drop(handle, db.handle, 0))
    }
}

extension MDB_val {
    @inline(__always)
    init(borrowing buffer: UnsafeRawBufferPointer) {
        self.init(mv_size: buffer.count, mv_data: UnsafeMutableRawPointer(mutating: buffer.baseAddress))
    }

    @inline(__always)
    var buffer: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: mv_data, count: mv_size)
    }
}
