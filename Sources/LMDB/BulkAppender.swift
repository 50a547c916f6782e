import CLMDB

/// Loads entries at the end of one database through a single write cursor
/// (`MDB_APPEND`): no search per key, and each new page is written once. The
/// way to fill an empty database from sorted data (a projection rebuild).
///
/// ```swift
/// try txn.bulkAppend(table) { appender in
///     for (key, value) in sortedEntries { try appender.append(key: key, value: value) }
/// }
/// ```
///
/// Valid only during the closure passed to `WriteTransaction.bulkAppend`.
public struct BulkAppender: ~Copyable {
    fileprivate let cursor: OpaquePointer

    /// Writes `value` under `key`, which must sort after every key already in
    /// the database (else `.appendOutOfOrder`, and nothing is written).
    public func append(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) throws(LMDBError) {
        var k = MDB_val(borrowing: key)
        var v = MDB_val(borrowing: value)
        let code = mdb_cursor_put(cursor, &k, &v, UInt32(MDB_APPEND))
        if code == MDB_KEYEXIST { throw .appendOutOfOrder }
        try LMDBError.check(code)
    }
}

extension WriteTransaction {
    /// Runs `body` with an appender at the end of `db`; see `BulkAppender`.
    public func bulkAppend<T>(_ db: Database, _ body: (borrowing BulkAppender) throws -> T) throws -> T {
        try checkLive()
        var raw: OpaquePointer?
        try LMDBError.check(mdb_cursor_open(handle, db.handle, &raw))
        // A write transaction's cursors would be freed with it; closing now
        // keeps a long transaction from holding one per call.
        defer { mdb_cursor_close(raw) }
        return try body(BulkAppender(cursor: raw!))
    }

    /// The last key of `db` (copied), `nil` when it is empty.
    public func lastKey(_ db: Database) throws -> [UInt8]? {
        try withCursor(db) { cursor in try cursor.last().map { Array($0.key) } }
    }
}
