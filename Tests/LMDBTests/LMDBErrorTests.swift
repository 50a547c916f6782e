import CLMDB
import TestSupport
import Testing

@testable import LMDB

@Suite struct LMDBErrorTests {
    /// Every LMDB return code maps to exactly one case and back.
    static let table: [(Int32, LMDBError)] = [
        (MDB_KEYEXIST, .keyExists), (MDB_NOTFOUND, .notFound), (MDB_PAGE_NOTFOUND, .pageNotFound),
        (MDB_CORRUPTED, .corrupted), (MDB_PANIC, .panic), (MDB_VERSION_MISMATCH, .versionMismatch),
        (MDB_INVALID, .invalid), (MDB_MAP_FULL, .mapFull), (MDB_DBS_FULL, .databasesFull),
        (MDB_READERS_FULL, .readersFull), (MDB_TLS_FULL, .threadLocalStorageFull),
        (MDB_TXN_FULL, .transactionFull), (MDB_CURSOR_FULL, .cursorStackFull), (MDB_PAGE_FULL, .pageFull),
        (MDB_MAP_RESIZED, .mapResized), (MDB_INCOMPATIBLE, .incompatible), (MDB_BAD_RSLOT, .badReaderSlot),
        (MDB_BAD_TXN, .badTransaction), (MDB_BAD_VALSIZE, .badValueSize), (MDB_BAD_DBI, .badDatabaseHandle),
        (2, .system(2)), (28, .system(28)),
    ]

    @Test func everyCodeMapsToACaseAndBack() {
        for (code, error) in Self.table {
            #expect(LMDBError(code: code) == error, "code \(code)")
            #expect(error.code == code, "\(error)")
            #expect(!error.description.isEmpty)
        }
        #expect(LMDBError(code: MDB_SUCCESS) == nil)
        // The table covers LMDB's whole error range.
        #expect(Set(Self.table.map(\.0)).isSuperset(of: Set(MDB_KEYEXIST...MDB_BAD_DBI)))
    }

    @Test func emptyKeyIsABadValueSize() throws {
        let folder = TemporaryFolder()
        let env = try Environment(path: folder.path)
        let db = try env.database("x")
        #expect(throws: LMDBError.badValueSize) { try env.write { txn in try txn.put(db, key: [], value: [1]) } }
    }
}
