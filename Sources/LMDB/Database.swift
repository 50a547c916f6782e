import CLMDB

/// A named database inside an `Environment`. Cheap to copy; obtain one with
/// `Environment.database(_:flags:)`, which opens it once and caches the handle.
public struct Database: Sendable, Hashable {
    /// LMDB's handle (`MDB_dbi`), valid for the life of the environment.
    let handle: MDB_dbi
    /// The name it was opened with (`nil` for the unnamed main database).
    public let name: String?

    /// Options fixed when the database is created.
    public struct Flags: OptionSet, Sendable, Hashable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        /// Keys are compared as native-endian unsigned integers (`MDB_INTEGERKEY`).
        /// Cairn prefers big-endian keys with the default comparison instead, so this is rarely needed.
        public static let integerKey = Flags(rawValue: UInt32(MDB_INTEGERKEY))
        /// Keys are compared from their last byte backwards (`MDB_REVERSEKEY`).
        public static let reverseKey = Flags(rawValue: UInt32(MDB_REVERSEKEY))
    }
}
