import CLMDB

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A position in one database, moved with `first`, `last`, `next`,
/// `previous` and `seek`. Obtain one with `ReadTransaction.withCursor`; it is
/// valid only during that closure. Each move returns the entry it lands on,
/// borrowed from the map until the next move, or `nil` past either end.
public final class Cursor {
    /// An entry borrowed from the map.
    public struct Entry {
        public let key: UnsafeRawBufferPointer
        public let value: UnsafeRawBufferPointer
    }

    private let handle: OpaquePointer
    private let transaction: ReadTransaction
    /// Read-transaction cursors must be closed by us; write-transaction
    /// cursors are freed by LMDB when the transaction ends.
    private let ownsHandle: Bool
    private var isOpen = true

    init(handle: OpaquePointer, transaction: ReadTransaction, ownsHandle: Bool) {
        self.handle = handle
        self.transaction = transaction
        self.ownsHandle = ownsHandle
    }

    func close() {
        guard isOpen else { return }
        isOpen = false
        if ownsHandle || transaction.isLive { mdb_cursor_close(handle) }
    }

    public func first() throws(LMDBError) -> Entry? { try move(MDB_FIRST) }
    public func last() throws(LMDBError) -> Entry? { try move(MDB_LAST) }
    public func next() throws(LMDBError) -> Entry? { try move(MDB_NEXT) }
    public func previous() throws(LMDBError) -> Entry? { try move(MDB_PREV) }
    public func current() throws(LMDBError) -> Entry? { try move(MDB_GET_CURRENT) }

    /// Moves to the first entry whose key is greater than or equal to `key`.
    public func seek(atLeast key: UnsafeRawBufferPointer) throws(LMDBError) -> Entry? {
        try move(MDB_SET_RANGE, key: key)
    }

    /// Moves to the first entry whose key is greater than or equal to `key`.
    public func seek(atLeast key: [UInt8]) throws(LMDBError) -> Entry? {
        try withBorrowed(key) { (k) throws(LMDBError) -> Entry? in try seek(atLeast: k) }
    }

    /// Moves to the entry whose key equals `key` exactly.
    public func seek(exactly key: [UInt8]) throws(LMDBError) -> Entry? {
        try withBorrowed(key) { (k) throws(LMDBError) -> Entry? in try move(MDB_SET_KEY, key: k) }
    }

    /// The first entry inside `range`, if any.
    public func seekFirst(in range: KeyRange) throws(LMDBError) -> Entry? {
        guard let lower = range.lower else { return try first() }
        return try seek(atLeast: lower)
    }

    /// The last entry inside `range`, if any.
    public func seekLast(in range: KeyRange) throws(LMDBError) -> Entry? {
        guard let upper = range.upper else { return try last() }
        // Land on the first key >= upper (or past the end), then step back
        // until the key is below the (exclusive) upper bound.
        var entry = try seek(atLeast: upper)
        if entry == nil { return try last() }
        while let e = entry, !range.isBelowUpper(e.key) { entry = try previous() }
        return entry
    }

    private func move(_ op: MDB_cursor_op, key: UnsafeRawBufferPointer? = nil) throws(LMDBError) -> Entry? {
        guard isOpen else { throw .transactionEnded }
        try transaction.checkLive()
        var k = key.map { MDB_val(borrowing: $0) } ?? MDB_val()
        var v = MDB_val()
        let code = mdb_cursor_get(handle, &k, &v, op)
        if code == MDB_NOTFOUND { return nil }
        try LMDBError.check(code)
        return Entry(key: k.buffer, value: v.buffer)
    }
}

/// A half-open range of keys `[lower, upper)` compared bytewise, as LMDB's
/// default comparison does. `nil` bounds are open.
public struct KeyRange: Sendable, Equatable {
    public var lower: [UInt8]?
    public var upper: [UInt8]?

    public init(from lower: [UInt8]? = nil, to upper: [UInt8]? = nil) {
        self.lower = lower
        self.upper = upper
    }

    public static let all = KeyRange()

    /// Every key that starts with `prefix`.
    public static func prefix(_ prefix: [UInt8]) -> KeyRange {
        KeyRange(from: prefix, to: successor(ofPrefix: prefix))
    }

    public func contains(_ key: UnsafeRawBufferPointer) -> Bool {
        if let lower, compare(key, lower) < 0 { return false }
        return isBelowUpper(key)
    }

    func isBelowUpper(_ key: UnsafeRawBufferPointer) -> Bool {
        guard let upper else { return true }
        return compare(key, upper) < 0
    }

    /// The smallest key greater than every key with this prefix; `nil` when the
    /// prefix is all 0xFF (no upper bound).
    static func successor(ofPrefix prefix: [UInt8]) -> [UInt8]? {
        var bytes = prefix
        while let last = bytes.last {
            if last < 0xFF {
                bytes[bytes.count - 1] = last + 1
                return bytes
            }
            bytes.removeLast()
        }
        return nil
    }
}

/// Bytewise comparison, the same order as LMDB's default (memcmp, shorter first on a tie).
@inline(__always)
func compare(_ a: UnsafeRawBufferPointer, _ b: [UInt8]) -> Int {
    b.withUnsafeBytes { b in
        let n = min(a.count, b.count)
        if n > 0 {
            let c = memcmp(a.baseAddress!, b.baseAddress!, n)
            if c != 0 { return Int(c) }
        }
        return a.count - b.count
    }
}

/// `Array.withUnsafeBytes` for closures with typed throws.
@inline(__always)
func withBorrowed<R>(
    _ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(LMDBError) -> R
) throws(LMDBError) -> R {
    let result = bytes.withUnsafeBytes { buffer in
        Result { () throws(LMDBError) -> R in try body(buffer) }
    }
    return try result.get()
}
