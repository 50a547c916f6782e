public import Foundation

/// An event's idempotency key: a UUID, stored as its 16 bytes.
public struct EventID: Hashable, Sendable, CustomStringConvertible {
    public let uuid: UUID

    public init(_ uuid: UUID) { self.uuid = uuid }

    /// Parses a UUID in its usual text form (any case).
    public init?(_ text: String) {
        guard let uuid = UUID(uuidString: text) else { return nil }
        self.uuid = uuid
    }

    public static func random() -> EventID { EventID(UUID.random()) }

    /// A stable id derived from `parts` (a name-based UUID, version 8, from SHA-256).
    /// The same parts always give the same id.
    public static func derived(_ parts: String...) -> EventID { EventID(UUID.derived(parts)) }

    public var bytes: [UInt8] { uuid.bytes }

    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        // Copied straight into the UUID's 16 bytes: every decoded event
        // parses one, and an intermediate array cost an allocation each.
        var raw: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &raw) { target in
            let copied: Void? = bytes.withContiguousStorageIfAvailable { target.copyMemory(from: UnsafeRawBufferPointer($0)) }
            if copied == nil { for (offset, byte) in bytes.enumerated() { target[offset] = byte } }
        }
        uuid = UUID(uuid: raw)
    }

    public var description: String { uuid.uuidString.lowercased() }
}

extension UUID {
    var bytes: [UInt8] {
        let u = uuid
        return [u.0, u.1, u.2, u.3, u.4, u.5, u.6, u.7, u.8, u.9, u.10, u.11, u.12, u.13, u.14, u.15]
    }

    /// A name-based UUID (RFC 9562 version 8) from the SHA-256 of the parts,
    /// each length-prefixed so ("ab","c") and ("a","bc") differ.
    public static func derived(_ parts: [String]) -> UUID {
        var input: [UInt8] = Array("cairn".utf8)
        for part in parts {
            let utf8 = Array(part.utf8)
            input += withUnsafeBytes(of: UInt32(utf8.count).bigEndian, Array.init) + utf8
        }
        var b = Array(SHA256.hash(input).prefix(16))
        b[6] = (b[6] & 0x0F) | 0x80  // version 8
        b[8] = (b[8] & 0x3F) | 0x80  // RFC 9562 variant
        return UUID(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]))
    }

    /// A random UUID (RFC 9562 version 4) from the standard library's
    /// system generator (getrandom(2)). Foundation's `UUID()` opens, reads
    /// and closes /dev/urandom at every call on Linux: 4 µs against 0.8 here,
    /// and a claim or a webhook makes one a request.
    public static func random() -> UUID {
        var generator = SystemRandomNumberGenerator()
        var raw: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &raw) { bytes in
            bytes.storeBytes(of: generator.next() as UInt64, toByteOffset: 0, as: UInt64.self)
            bytes.storeBytes(of: generator.next() as UInt64, toByteOffset: 8, as: UInt64.self)
            bytes[6] = (bytes[6] & 0x0F) | 0x40  // version 4
            bytes[8] = (bytes[8] & 0x3F) | 0x80  // RFC 9562 variant
        }
        return UUID(uuid: raw)
    }

    /// The canonical lowercase text form.
    public var lowercasedString: String { uuidString.lowercased() }
}

/// Identifiers of runs, steps, jobs, workflows, triggers, projects and
/// dataclips are strings: UUIDs in practice, checked only for being usable
/// as keys (non-empty, at most 120 bytes, no NUL, ASCII). The bound keeps
/// every composite key (a projection's workflow + job + dataclip + time +
/// sequence) under LMDB's 511-byte key limit. ASCII, because the store keys
/// ids by bytes and Swift's dictionaries by canonical equivalence: "é" as
/// U+00E9 and as "e" + U+0301, or "K" and KELVIN SIGN, were two ids to the
/// store and one to the document hub's rooms and the write cache, and one
/// project's token got another's open document (session 22's review). Two
/// different ASCII strings are never equivalent. A normaliser cannot stand
/// in: Foundation's NFC on Linux is not the one Swift's equality uses.
public enum Identifier {
    public static let maxBytes = 120

    public static func problem(with id: String) -> String? {
        if id.isEmpty { return "must not be empty" }
        if id.utf8.count > maxBytes { return "is longer than \(maxBytes) bytes" }
        if id.utf8.contains(0) { return "must not contain NUL" }
        if !id.utf8.allSatisfy({ $0 < 0x80 }) { return "must be ASCII (ids are compared byte for byte; a UUID is ASCII)" }
        return nil
    }
}
