public import Encoding

/// The binary form of a recorded event in the `events` database:
///
///     u8 record format (1) · u8 kind tag · u8 schema version of that kind ·
///     16 bytes event id · varstring stream · varuint stream version ·
///     varint recorded-at µs · payload fields of that kind and version
///
/// Varints are lib0's layout at the full 64 bits (`BorrowedReader`,
/// `ByteReader.readVarInt64`), not lib0's 53-bit limit: every value the
/// writer accepts reads back. `fixtures/golden/events` pins the bytes.
///
/// A kind that gains fields gets a new schema version; the decoder keeps
/// reading every older one (upcasting at decode, never rewriting the log).
public enum EventCodec {
    static let recordFormat: UInt8 = 1

    /// The schema version written for `kind` today; the decoder reads every
    /// version from 1 up to it.
    static func schemaVersion(_ kind: EventKind) -> UInt8 {
        switch kind {
        // 2: whether the output (the final) was created by the run itself.
        // 3 (step:complete): the job's webhook response.
        case .stepCompleted: return 3
        case .runCompleted: return 2
        // 2: who published (the audit trail).
        case .workflowPublished: return 2
        default: return 1
        }
    }

    public static func encode(_ e: RecordedEvent) -> [UInt8] {
        var w = ByteWriter(capacity: 128)
        w.writeUInt8(recordFormat)
        w.writeUInt8(e.event.kind.tag)
        w.writeUInt8(schemaVersion(e.event.kind))
        w.writeBytes(e.id.bytes)
        w.writeVarString(e.stream)
        w.writeVarUInt(UInt64(e.streamVersion))
        w.writeVarInt(e.recordedAt.microseconds)
        encodePayload(e.event, schema: schemaVersion(e.event.kind), into: &w)
        let bytes = w.bytes
        // The codec's promise, checked in debug builds: what it writes reads
        // back as the same event (issue #17: it once wrote timestamps its
        // readers refused, and the log could not be read past them).
        assert(decodesToItself(e, bytes), "\(e.event.kind.rawValue) event \(e.id) does not decode to itself")
        return bytes
    }

    /// Whether `bytes`, the encoding of `e`, decode to `e` again, whole and in place.
    static func decodesToItself(_ e: RecordedEvent, _ bytes: [UInt8]) -> Bool {
        guard let decoded = try? decode(bytes, sequence: e.sequence), decoded == e else { return false }
        let viewed = try? bytes.withUnsafeBytes { (raw) throws(EventDecodingError) in
            try view(raw, sequence: e.sequence).decoded()
        }
        return viewed == e
    }

    /// The kind of a stored event, read from its header alone (a replay
    /// decodes an event only for the projectors that act on its kind).
    /// `nil` when the header is not one this Cairn reads: `decode` says why.
    @inline(__always)
    public static func kind(of bytes: UnsafeRawBufferPointer) -> EventKind? {
        guard bytes.count > 2, bytes[0] == recordFormat else { return nil }
        return EventKind(tag: bytes[1])
    }

    /// Decodes one stored event. A loop decoding many passes an `interner`,
    /// so ids that recur from event to event are built once.
    public static func decode(
        _ bytes: [UInt8], sequence: UInt64, interner: StringInterner? = nil
    ) throws(EventDecodingError) -> RecordedEvent {
        try bytes.withUnsafeBufferPointer { (buffer) throws(EventDecodingError) in
            try decode(UnsafeRawBufferPointer(buffer), sequence: sequence, interner: interner)
        }
    }

    /// `decode` of bytes read in place (an LMDB value).
    public static func decode(
        _ bytes: UnsafeRawBufferPointer, sequence: UInt64, interner: StringInterner? = nil
    ) throws(EventDecodingError) -> RecordedEvent {
        try reading(bytes, sequence: sequence) { r in
            let header = try readHeader(&r, sequence: sequence)
            guard let id = EventID(bytes: header.id) else { throw EventDecodingError.malformed("id", sequence: sequence) }
            func string(_ slice: ByteSlice) -> String {
                interner?.string(slice.buffer.assumingMemoryBound(to: UInt8.self)) ?? slice.string
            }
            let fields = try EventView.Fields.read(header.kind, schema: header.schema, from: &r, sequence: sequence)
            let event = try fields.event(string)
                ?? decodeWhole(header.kind, schema: header.schema, from: &r, sequence: sequence, interner: interner)
            if !r.isAtEnd { throw EventDecodingError.malformed("trailing bytes", sequence: sequence) }
            return RecordedEvent(
                id: id, sequence: sequence, streamVersion: header.streamVersion, recordedAt: header.recordedAt,
                event: event)
        }
    }

    /// Reads a stored event in place (see `EventView`): the header, and the
    /// fields of the kinds it reads in place.
    @inline(__always)
    public static func view(_ bytes: UnsafeRawBufferPointer, sequence: UInt64) throws(EventDecodingError) -> EventView {
        try EventView(bytes, sequence: sequence)
    }

    struct Header {
        var kind: EventKind
        var schema: UInt8
        var id: UnsafeRawBufferPointer
        var streamVersion: UInt32
        var recordedAt: Timestamp
    }

    static func readHeader(_ r: inout BorrowedReader, sequence: UInt64) throws -> Header {
        // Format, kind, schema version and the 16-byte id: one bounds check.
        let fixed = try r.readBytes(19)
        guard fixed[0] == recordFormat else { throw EventDecodingError.unknownFormat(fixed[0], sequence: sequence) }
        guard let kind = EventKind(tag: fixed[1]) else { throw EventDecodingError.unknownKind(fixed[1], sequence: sequence) }
        let version = fixed[2]
        guard version >= 1 && version <= schemaVersion(kind) else {
            throw EventDecodingError.unknownSchema(kind: kind.rawValue, version: version, sequence: sequence)
        }
        try r.skipVarString()  // the stream: a function of the event
        let streamVersion = UInt32(truncatingIfNeeded: try r.readVarUInt())
        return Header(
            kind: kind, schema: version, id: UnsafeRawBufferPointer(rebasing: fixed[3...]), streamVersion: streamVersion,
            recordedAt: Timestamp(microseconds: try r.readVarInt()))
    }

    /// The error a failure while reading the event at `sequence` is reported as.
    static func decodingError(_ error: any Error, sequence: UInt64) -> EventDecodingError {
        switch error {
        case let error as EventDecodingError: return error
        case let error as ByteDecodingError: return .truncated(error.description, sequence: sequence)
        default: return .malformed(String(describing: error), sequence: sequence)
        }
    }

    /// Runs `body` over a reader of `bytes`, naming any failure by the
    /// event's sequence.
    @inline(__always)
    private static func reading<T>(
        _ bytes: UnsafeRawBufferPointer, sequence: UInt64, _ body: (inout BorrowedReader) throws -> T
    ) throws(EventDecodingError) -> T {
        var r = BorrowedReader(bytes)
        do {
            return try body(&r)
        } catch {
            throw decodingError(error, sequence: sequence)
        }
    }

    // MARK: Payloads

    /// Writes the payload of `event` as schema version `schema` of its kind
    /// (the snapshots table writes a publish's as version 1: the workflow
    /// without who published it).
    static func encodePayload(_ event: Event, schema: UInt8, into w: inout ByteWriter) {
        switch event {
        case .projectConfigured(let e):
            w.writeVarString(e.projectId)
            w.writeOptional(e.name)
            w.writeVarString(e.retention.rawValue)
        case .workflowPublished(let e):
            w.writeVarString(e.workflowId)
            w.writeVarString(e.projectId)
            w.writeVarUInt(UInt64(e.lockVersion))
            w.writeBool(e.deleted)
            w.writeVarUInt(UInt64(e.jobIds.count))
            for job in e.jobIds { w.writeVarString(job) }
            w.writeVarUInt(UInt64(e.triggers.count))
            for t in e.triggers {
                w.writeVarString(t.id)
                w.writeVarString(t.type)
                w.writeBool(t.enabled)
                w.writeOptional(t.cronExpression)
                w.writeOptional(t.cronCursorJobId)
                w.writeOptional(t.timezone)
                w.writeOptional(t.cronDayMatch)
            }
            w.writeVarBytes(e.document)
            w.writeVarInt(e.timestamp.microseconds)
            if schema >= 2 {
                w.writeBool(e.actor != nil)
                e.actor?.write(into: &w)
            }
        case .runCreated(let e):
            w.writeVarString(e.runId)
            w.writeVarString(e.workflowId)
            w.writeVarString(e.projectId)
            w.writeVarUInt(UInt64(e.lockVersion))
            w.writeOptional(e.startingTriggerId)
            w.writeVarString(e.inputDataclipId)
            w.writeBool(e.createdInput)
            w.writeOptional(e.scheduledFor?.microseconds)
            w.writeVarInt(e.timestamp.microseconds)
        case .runClaimed(let e):
            w.writeVarString(e.runId)
            w.writeOptional(e.workerName)
            w.writeVarInt(e.timestamp.microseconds)
        case .runStarted(let e):
            w.writeVarString(e.runId)
            w.writeVarInt(e.timestamp.microseconds)
        case .stepStarted(let e):
            w.writeVarString(e.runId)
            w.writeVarString(e.stepId)
            w.writeVarString(e.jobId)
            w.writeOptional(e.inputDataclipId)
            w.writeVarInt(e.timestamp.microseconds)
        case .stepCompleted(let e):
            w.writeVarString(e.runId)
            w.writeVarString(e.stepId)
            w.writeVarString(e.jobId)
            w.writeUInt8(e.reason.code)
            w.writeOptional(e.errorType)
            w.writeOptional(e.errorMessage)
            w.writeOptional(e.outputDataclipId)
            w.writeBool(e.outputWiped)
            w.writeBool(e.outputFromThisRun)
            w.writeOptional(e.mem)
            w.writeOptional(e.duration)
            w.writeVarInt(e.timestamp.microseconds)
            if schema >= 3 {
                w.writeBool(e.webhookResponse != nil)
                if let response = e.webhookResponse { w.writeVarBytes(response) }
            }
        case .runCompleted(let e):
            w.writeVarString(e.runId)
            w.writeUInt8(e.state.code)
            w.writeOptional(e.errorType)
            w.writeOptional(e.errorMessage)
            w.writeOptional(e.finalDataclipId)
            w.writeBool(e.createdFinalDataclip)
            w.writeBool(e.finalWiped)
            w.writeBool(e.finalFromThisRun)
            w.writeVarInt(e.timestamp.microseconds)
        case .runLogged(let e):
            w.writeVarString(e.runId)
            w.writeOptional(e.stepId)
            w.writeVarString(e.level)
            w.writeOptional(e.source)
            w.writeVarString(e.message)
            w.writeVarInt(e.timestamp.microseconds)
        case .dataclipWiped(let e):
            w.writeVarString(e.dataclipId)
            w.writeVarInt(e.timestamp.microseconds)
        case .runLost(let e):
            w.writeVarString(e.runId)
            w.writeVarInt(e.timestamp.microseconds)
        case .runCancelled(let e):
            w.writeVarString(e.runId)
            w.writeVarInt(e.timestamp.microseconds)
        case .scheduleTicked(let e):
            w.writeVarInt(e.minute.microseconds)
        case .tokenCreated(let e):
            w.writeVarString(e.tokenId)
            w.writeVarString(e.projectId)
            w.writeUInt8(e.role.code)
            w.writeOptional(e.name)
            w.writeVarBytes(e.secretHash)
            w.writeOptional(e.expiresAt?.microseconds)
            e.actor.write(into: &w)
            w.writeVarInt(e.timestamp.microseconds)
        case .tokenRevoked(let e):
            w.writeVarString(e.tokenId)
            w.writeVarString(e.projectId)
            e.actor.write(into: &w)
            w.writeVarInt(e.timestamp.microseconds)
        }
    }

    /// The payload of a kind `EventView` does not read in place.
    static func decodeWhole(
        _ kind: EventKind, schema: UInt8, from r: inout BorrowedReader, sequence: UInt64, interner: StringInterner?
    ) throws -> Event {
        func time() throws -> Timestamp { Timestamp(microseconds: try r.readVarInt()) }
        func string() throws -> String { try r.readVarString(interning: interner) }
        func optionalString() throws -> String? { try r.readBool() ? try string() : nil }
        switch kind {
        case .projectConfigured:
            let id = try string()
            let name = try optionalString()
            let raw = try string()
            guard let retention = Retention(rawValue: raw) else {
                throw EventDecodingError.malformed("retention \(raw)", sequence: sequence)
            }
            return .projectConfigured(ProjectConfigured(projectId: id, name: name, retention: retention))
        case .workflowPublished:
            let workflowId = try string()
            let projectId = try string()
            let lockVersion = UInt32(truncatingIfNeeded: try r.readVarUInt())
            let deleted = try r.readBool()
            let jobCount = try r.readLength()
            var jobs: [String] = []
            for _ in 0..<jobCount { jobs.append(try string()) }
            let triggerCount = try r.readLength()
            var triggers: [TriggerSummary] = []
            for _ in 0..<triggerCount {
                triggers.append(
                    TriggerSummary(
                        id: try string(), type: try string(), enabled: try r.readBool(),
                        cronExpression: try optionalString(), cronCursorJobId: try optionalString(),
                        timezone: try optionalString(), cronDayMatch: try optionalString()))
            }
            let document = try r.readVarBytes()
            let timestamp = try time()
            var actor: AuditActor?
            if schema >= 2, try r.readBool() { actor = try AuditActor.read(&r) }
            return .workflowPublished(
                WorkflowPublished(
                    workflowId: workflowId, projectId: projectId, lockVersion: lockVersion, deleted: deleted,
                    jobIds: jobs, triggers: triggers, document: document, timestamp: timestamp, actor: actor))
        case .scheduleTicked:
            return .scheduleTicked(ScheduleTicked(minute: try time()))
        case .tokenCreated:
            let tokenId = try string()
            let projectId = try string()
            let code = try r.readUInt8()
            guard let role = Role(code: code) else { throw EventDecodingError.malformed("role \(code)", sequence: sequence) }
            let name = try optionalString()
            let hash = try r.readVarBytes()
            guard hash.count == 32 else { throw EventDecodingError.malformed("secret hash of \(hash.count) bytes", sequence: sequence) }
            let expires = try r.readOptionalInt().map(Timestamp.init(microseconds:))
            return .tokenCreated(TokenCreated(
                tokenId: tokenId, projectId: projectId, role: role, name: name, secretHash: hash, expiresAt: expires,
                actor: try AuditActor.read(&r), timestamp: try time()))
        case .tokenRevoked:
            return .tokenRevoked(TokenRevoked(
                tokenId: try string(), projectId: try string(), actor: try AuditActor.read(&r), timestamp: try time()))
        case .runCreated, .runClaimed, .runStarted, .stepStarted, .stepCompleted, .runCompleted, .runLogged,
            .dataclipWiped, .runLost, .runCancelled:
            preconditionFailure("\(kind.rawValue) is read through EventView")
        }
    }
}

/// A stored event that cannot be read back: the log is damaged or was written
/// by a newer Cairn.
public enum EventDecodingError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownFormat(UInt8, sequence: UInt64)
    case unknownKind(UInt8, sequence: UInt64)
    case unknownSchema(kind: String, version: UInt8, sequence: UInt64)
    case truncated(String, sequence: UInt64)
    case malformed(String, sequence: UInt64)

    public var description: String {
        switch self {
        case let .unknownFormat(f, s): return "event \(s): unknown record format \(f) (written by a newer Cairn?)"
        case let .unknownKind(t, s): return "event \(s): unknown event type tag \(t) (written by a newer Cairn?)"
        case let .unknownSchema(k, v, s): return "event \(s): \(k) schema version \(v) is newer than this Cairn reads"
        case let .truncated(why, s): return "event \(s) is damaged: \(why)"
        case let .malformed(why, s): return "event \(s) is damaged: \(why)"
        }
    }
}
