/// The readers and writers of the records a data folder holds besides
/// events, for the stored-record fuzz target (Fuzz/README.md,
/// `fuzz-stored-records`): a folder can hold what another version, a torn
/// copy or a flipped bit wrote, and each must read as a typed error.
@_spi(Fuzz) public enum StoredRecordCoding {
    /// A `dataclips` value (`id` is its key).
    public static func dataclip(id: String, _ bytes: [UInt8]) throws -> Dataclip { try Dataclip.decode(id: id, bytes) }
    public static func encoded(_ dataclip: Dataclip) -> [UInt8] { dataclip.encoded() }

    /// A `dataclip_records` value (`sequence` is its key).
    public static func dataclipRecord(_ bytes: [UInt8], sequence: UInt64) throws -> Dataclip {
        try bytes.withUnsafeBytes { try Dataclip.decodeRecord($0, sequence: sequence) }
    }
    public static func record(_ dataclip: Dataclip) -> [UInt8] { dataclip.record() }

    /// A `snapshots` value.
    public static func snapshot(_ bytes: [UInt8]) throws -> StoredSnapshot { try StoredSnapshot.decode(bytes) }
    public static func encoded(_ snapshot: StoredSnapshot) -> [UInt8] { snapshot.encoded() }

    /// A `tokens` value.
    public static func token(_ bytes: [UInt8]) throws -> StoredToken { try StoredToken.decode(bytes) }
    public static func encoded(_ token: StoredToken) -> [UInt8] { token.encoded() }
}
