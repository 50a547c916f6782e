import Encoding

/// A dataclip as the `dataclips` database holds it: a header, and the body
/// as raw JSON bytes unless wiped. Bodies live outside the event log so that
/// wiping one (retention, erase) never rewrites history.
public struct Dataclip: Sendable, Equatable {
    public var id: String
    public var projectId: String
    public var type: DataclipType
    /// Size of the body in bytes when it was stored.
    public var size: Int
    public var createdAt: Timestamp
    public var wipedAt: Timestamp?
    /// The JSON text, `nil` once wiped (or when created under `erase_all`).
    public var body: [UInt8]?
    /// The sequence of the event that created it. A wipe reads that event's
    /// run to find the run's own uses of the dataclip, which the cursor
    /// projections then need not index (`StepCompleted.outputFromThisRun`).
    /// `nil` for dataclips stored before the log recorded origins.
    public var origin: UInt64?

    public init(
        id: String, projectId: String, type: DataclipType, size: Int, createdAt: Timestamp, wipedAt: Timestamp?,
        body: [UInt8]?, origin: UInt64? = nil
    ) {
        self.id = id
        self.projectId = projectId
        self.type = type
        self.size = size
        self.createdAt = createdAt
        self.wipedAt = wipedAt
        self.body = body
        self.origin = origin
    }

    /// 1: no origin; 2: the origin sequence (0 for none) after `wipedAt`.
    static let format: UInt8 = 2

    func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: 32 + (body?.count ?? 0))
        w.writeUInt8(Self.format)
        w.writeUInt8(type.code)
        w.writeVarString(projectId)
        w.writeVarUInt(UInt64(size))
        w.writeVarInt(createdAt.microseconds)
        w.writeOptional(wipedAt?.microseconds)
        w.writeVarUInt(origin ?? 0)
        if let body {
            w.writeUInt8(1)
            w.writeVarBytes(body)
        } else {
            w.writeUInt8(0)
        }
        return w.bytes
    }

    static func decode(id: String, _ bytes: [UInt8]) throws -> Dataclip {
        var r = ByteReader(bytes)
        let format = try r.readUInt8()
        guard format == 1 || format == Self.format else {
            throw EventLogError.storage("dataclip \(id) has unknown format \(format)")
        }
        let code = try r.readUInt8()
        guard let type = DataclipType(code: code) else { throw EventLogError.storage("dataclip \(id) has type \(code)") }
        let project = try r.readVarString()
        // The full-width readers: a header reads back whatever `encoded` wrote.
        guard let size = Int(exactly: try r.readVarUInt64()) else {
            throw EventLogError.storage("dataclip \(id) has a size past Int.max")
        }
        let created = Timestamp(microseconds: try r.readVarInt64())
        let wiped = try r.readOptionalInt().map(Timestamp.init(microseconds:))
        let origin = format >= 2 ? try r.readVarUInt64() : 0
        let body = try r.readBool() ? try r.readVarBytes() : nil
        return Dataclip(
            id: id, projectId: project, type: type, size: size, createdAt: created, wipedAt: wiped, body: body,
            origin: origin == 0 ? nil : origin)
    }
}

// MARK: Records

/// A dataclip as `dataclip_records` holds it, keyed by the sequence of the
/// event that created it: its id, then the header and body as above. Keyed
/// by sequence, a new record goes at the end of the table, as its event goes
/// at the end of the log; `dataclip_ids` finds it by id (an index behind the
/// log, docs/architecture.md).
extension Dataclip {
    func record() -> [UInt8] {
        var w = ByteWriter(capacity: 40 + id.utf8.count + (body?.count ?? 0))
        w.writeVarString(id)
        w.writeBytes(encoded())
        return w.bytes
    }

    /// The id a record begins with, borrowed from `bytes`.
    static func recordId(_ bytes: UnsafeRawBufferPointer, sequence: UInt64) throws -> UnsafeRawBufferPointer {
        var r = BorrowedReader(bytes)
        do {
            return try r.readBytes(try r.readLength())
        } catch {
            throw EventLogError.storage("the dataclip record of event \(sequence) is damaged: \(error)")
        }
    }

    /// Reads a record; its origin is its key, the creating event.
    static func decodeRecord(_ bytes: UnsafeRawBufferPointer, sequence: UInt64) throws -> Dataclip {
        var r = BorrowedReader(bytes)
        let id: UnsafeRawBufferPointer
        do {
            id = try r.readBytes(try r.readLength())
        } catch {
            throw EventLogError.storage("the dataclip record of event \(sequence) is damaged: \(error)")
        }
        let rest = UnsafeRawBufferPointer(rebasing: bytes[r.position...])
        var dataclip = try decode(id: String(decoding: id, as: UTF8.self), Array(rest))
        dataclip.origin = sequence
        return dataclip
    }
}
