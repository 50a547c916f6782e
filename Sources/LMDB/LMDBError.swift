import CLMDB

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Every failure the LMDB layer reports. Each LMDB return code maps to one case
/// and back (`code`), so callers switch on cases, never on message strings.
public enum LMDBError: Error, Equatable, Sendable {
    case keyExists
    case notFound
    case pageNotFound
    case corrupted
    case panic
    case versionMismatch
    case invalid
    case mapFull
    case databasesFull
    case readersFull
    case threadLocalStorageFull
    case transactionFull
    case cursorStackFull
    case pageFull
    case mapResized
    case incompatible
    case badReaderSlot
    case badTransaction
    case badValueSize
    case badDatabaseHandle
    /// A system error (`errno`) such as `ENOENT`, `EACCES` or `ENOSPC`.
    case system(Int32)
    /// A transaction or cursor was used after its closure returned.
    case transactionEnded
    /// `MDB_APPEND` was asked to put a key that does not sort after the last one.
    /// LMDB reports this as `MDB_KEYEXIST`; we name it for what it is.
    case appendOutOfOrder
    /// A write transaction (or a database open, which needs one) was begun
    /// inside another on the same thread, which would deadlock.
    case nestedWrite
    /// The map is full and may not grow: it has reached `limit` bytes, the
    /// ceiling it was opened with (`Environment.Options.maxMapSize`). The
    /// write that met it was aborted whole; everything committed before it stands.
    case storeFull(limit: Int)

    /// The case for an LMDB return code; `nil` for `MDB_SUCCESS`.
    public init?(code: Int32) {
        switch code {
        case MDB_SUCCESS: return nil
        case MDB_KEYEXIST: self = .keyExists
        case MDB_NOTFOUND: self = .notFound
        case MDB_PAGE_NOTFOUND: self = .pageNotFound
        case MDB_CORRUPTED: self = .corrupted
        case MDB_PANIC: self = .panic
        case MDB_VERSION_MISMATCH: self = .versionMismatch
        case MDB_INVALID: self = .invalid
        case MDB_MAP_FULL: self = .mapFull
        case MDB_DBS_FULL: self = .databasesFull
        case MDB_READERS_FULL: self = .readersFull
        case MDB_TLS_FULL: self = .threadLocalStorageFull
        case MDB_TXN_FULL: self = .transactionFull
        case MDB_CURSOR_FULL: self = .cursorStackFull
        case MDB_PAGE_FULL: self = .pageFull
        case MDB_MAP_RESIZED: self = .mapResized
        case MDB_INCOMPATIBLE: self = .incompatible
        case MDB_BAD_RSLOT: self = .badReaderSlot
        case MDB_BAD_TXN: self = .badTransaction
        case MDB_BAD_VALSIZE: self = .badValueSize
        case MDB_BAD_DBI: self = .badDatabaseHandle
        default: self = .system(code)
        }
    }

    /// The LMDB (or errno) code this case stands for. Cases of Cairn's own
    /// (`transactionEnded`, `appendOutOfOrder`) map to the closest LMDB code.
    public var code: Int32 {
        switch self {
        case .keyExists, .appendOutOfOrder: return MDB_KEYEXIST
        case .notFound: return MDB_NOTFOUND
        case .pageNotFound: return MDB_PAGE_NOTFOUND
        case .corrupted: return MDB_CORRUPTED
        case .panic: return MDB_PANIC
        case .versionMismatch: return MDB_VERSION_MISMATCH
        case .invalid: return MDB_INVALID
        case .mapFull, .storeFull: return MDB_MAP_FULL
        case .databasesFull: return MDB_DBS_FULL
        case .readersFull: return MDB_READERS_FULL
        case .threadLocalStorageFull: return MDB_TLS_FULL
        case .transactionFull: return MDB_TXN_FULL
        case .cursorStackFull: return MDB_CURSOR_FULL
        case .pageFull: return MDB_PAGE_FULL
        case .mapResized: return MDB_MAP_RESIZED
        case .incompatible: return MDB_INCOMPATIBLE
        case .badReaderSlot: return MDB_BAD_RSLOT
        case .badTransaction: return MDB_BAD_TXN
        case .badValueSize: return MDB_BAD_VALSIZE
        case .badDatabaseHandle: return MDB_BAD_DBI
        case .system(let errno): return errno
        case .transactionEnded, .nestedWrite: return MDB_BAD_TXN
        }
    }

    /// Whether no more can be written for want of room: the map's ceiling,
    /// or the disk (`ENOSPC`, `EDQUOT`). Freeing room (or raising the
    /// ceiling) and retrying is the remedy; nothing committed was lost.
    public var isStoreFull: Bool {
        switch self {
        case .storeFull: return true
        case .system(let code): return code == ENOSPC || code == EDQUOT
        default: return false
        }
    }

    /// Whether the disk failed a read or a write (`EIO`): the write that met
    /// it was not committed. LMDB may have marked the environment unusable
    /// (`panic`); reopening it finds every earlier commit.
    public var isIOError: Bool {
        switch self {
        case .system(let code): return code == EIO
        case .panic: return true
        default: return false
        }
    }

    /// Throws the case for `code` unless it is `MDB_SUCCESS`.
    @inline(__always)
    static func check(_ code: Int32) throws(LMDBError) {
        if code != MDB_SUCCESS { throw LMDBError(code: code)! }
    }
}

extension LMDBError: CustomStringConvertible {
    /// A message an operator can act on.
    public var description: String {
        switch self {
        case .keyExists: return "key already exists"
        case .notFound: return "key not found"
        case .pageNotFound, .corrupted:
            return "the database file is corrupted (page not found or bad page); restore the data folder from a backup"
        case .panic: return "I/O error: LMDB hit a fatal error (a failed write to the disk); reopen the data folder"
        case .versionMismatch:
            return "the data folder was written by an incompatible LMDB version"
        case .invalid:
            return "the file is not an LMDB database (foreign or corrupted data.mdb)"
        case .mapFull: return "the memory map is full (Cairn grows it automatically; this means growth failed)"
        case .databasesFull: return "too many named databases are open; raise maxDatabases"
        case .readersFull: return "too many concurrent readers; raise maxReaders or end long-lived reads"
        case .threadLocalStorageFull: return "too many threads hold read transactions"
        case .transactionFull: return "the transaction touches too many pages; commit in smaller batches"
        case .cursorStackFull: return "the database is too deep for a cursor (internal LMDB limit)"
        case .pageFull: return "a page ran out of space (internal LMDB limit)"
        case .mapResized: return "another process grew the map; retry"
        case .incompatible: return "the database flags do not match how it was created"
        case .badReaderSlot: return "invalid reuse of a reader slot"
        case .badTransaction: return "the transaction is no longer usable after an earlier error"
        case .badValueSize: return "a key is empty or too long (LMDB keys are at most 511 bytes)"
        case .badDatabaseHandle: return "the database handle is stale or was never opened"
        case .storeFull(let limit):
            return "store full: the data folder reached its ceiling of \(limit >> 20) MiB (--max-size); nothing of this write was kept"
        case .system(let code) where code == ENOSPC || code == EDQUOT:
            return "store full: \(String(cString: strerror(code))) on the data folder's disk; nothing of this write was kept"
        case .system(let code) where code == EIO:
            return "I/O error: the disk failed a read or write (\(String(cString: strerror(code)))); nothing of this write was kept"
        case .system(let code):
            let text = String(cString: strerror(code))
            return "system error \(code): \(text)"
        case .transactionEnded: return "a transaction or cursor was used after its closure returned"
        case .appendOutOfOrder: return "an append's key does not sort after the last key in the database"
        case .nestedWrite:
            return "a write transaction (or opening a database, or resizing the map) was begun inside another transaction on the same thread"
        }
    }
}
