import Encoding

/// What the log's indexes take from one stored event, read in place: its
/// id (`event_ids`), its stream and position (`streams`) and, for a
/// `step:start`, its step (`step_runs`). Valid while the event's bytes are.
struct IndexKeys {
    var id: EventID
    var stream: UnsafeRawBufferPointer
    var streamVersion: UInt32
    var stepId: UnsafeRawBufferPointer?
    /// The run of a `step:start` (the value `step_runs` keeps).
    var runId: UnsafeRawBufferPointer?

    init(_ bytes: UnsafeRawBufferPointer, sequence: UInt64) throws {
        var r = BorrowedReader(bytes)
        do {
            // The header's layout is `EventCodec.readHeader`'s, which skips the stream this needs.
            let fixed = try r.readBytes(19)
            guard fixed[0] == EventCodec.recordFormat else {
                throw EventDecodingError.unknownFormat(fixed[0], sequence: sequence)
            }
            guard let kind = EventKind(tag: fixed[1]) else { throw EventDecodingError.unknownKind(fixed[1], sequence: sequence) }
            guard let id = EventID(bytes: UnsafeRawBufferPointer(rebasing: fixed[3...])) else {
                throw EventDecodingError.malformed("id", sequence: sequence)
            }
            self.id = id
            stream = try r.readBytes(try r.readLength())
            streamVersion = UInt32(truncatingIfNeeded: try r.readVarUInt())
            if kind == .stepStarted, case .stepStarted(let step) = try EventView(bytes, sequence: sequence).fields {
                stepId = step.stepId.buffer
                runId = step.runId.buffer
            }
        } catch {
            throw EventCodec.decodingError(error, sequence: sequence)
        }
    }
}
