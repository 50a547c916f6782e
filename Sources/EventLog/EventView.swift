public import Encoding

/// A stored event read in place: its header decoded, and, for the kinds a
/// replay meets at nearly every event (a run's and a dataclip's), its fields,
/// with ids as slices of the stored bytes. Building one allocates nothing
/// and takes no reference, which is what lets a replay keep up with a scan.
///
/// Valid only while the bytes are: inside the transaction that read them.
/// `EventCodec.decode` reads run events through these same views, so the
/// layout of each kind is written down once.
public struct EventView {
    public let sequence: UInt64
    public let kind: EventKind
    /// Position in its stream, from 1.
    public let streamVersion: UInt32
    public let recordedAt: Timestamp
    public let fields: Fields
    /// The run the event is about, if any: every run event's payload
    /// begins with it. Stored, not read out of `fields`: a projector asks
    /// at nearly every event, and matching on `fields` copies its payload.
    public let runId: ByteSlice?
    /// The whole stored event (borrowed).
    public let bytes: UnsafeRawBufferPointer

    public enum Fields {
        case runCreated(RunCreatedView)
        case runClaimed(RunClaimedView)
        case runStarted(RunMarkView)
        case stepStarted(StepStartedView)
        case stepCompleted(StepCompletedView)
        case runCompleted(RunCompletedView)
        case runLogged(RunLoggedView)
        case runLost(RunMarkView)
        case runCancelled(RunMarkView)
        case dataclipWiped(DataclipWipedView)
        /// Project, workflow and scheduler events: rare, and read whole
        /// (`decoded()`).
        case other
    }

    /// Reads the event in place. Built here, field by field, rather than
    /// returned from helpers: the fields are a large enum, and each hand-off
    /// of one was a copy (a fifth of reading an event).
    @inline(__always)
    init(_ bytes: UnsafeRawBufferPointer, sequence: UInt64) throws(EventDecodingError) {
        var r = BorrowedReader(bytes)
        self.sequence = sequence
        self.bytes = bytes
        do {
            let header = try EventCodec.readHeader(&r, sequence: sequence)
            kind = header.kind
            streamVersion = header.streamVersion
            recordedAt = header.recordedAt
            if header.kind.isRunEvent {
                var peek = r
                runId = try peek.readSlice()
            } else {
                runId = nil
            }
            fields = try Fields.read(header.kind, schema: header.schema, from: &r, sequence: sequence)
            // `.other` kinds are read whole on demand; `decoded()` checks their end.
            if header.kind.isReadInPlace && !r.isAtEnd {
                throw EventDecodingError.malformed("trailing bytes", sequence: sequence)
            }
        } catch {
            throw EventCodec.decodingError(error, sequence: sequence)
        }
    }

    /// The event decoded into owned values.
    public func decoded(interner: StringInterner? = nil) throws(EventDecodingError) -> RecordedEvent {
        try EventCodec.decode(bytes, sequence: sequence, interner: interner)
    }

}

// The fields of each kind, as `RunCreated` and its siblings hold them; see
// those for what each means. Strings are slices of the stored event.

public struct RunCreatedView {
    public var runId: ByteSlice
    public var workflowId: ByteSlice
    public var projectId: ByteSlice
    public var lockVersion: UInt32
    public var startingTriggerId: ByteSlice?
    public var inputDataclipId: ByteSlice
    public var createdInput: Bool
    public var scheduledFor: Timestamp?
    public var timestamp: Timestamp
}

public struct RunClaimedView {
    public var runId: ByteSlice
    public var workerName: ByteSlice?
    public var timestamp: Timestamp
}

/// `run:start`, `run:lost` and `run:cancelled`: a run and a time.
public struct RunMarkView {
    public var runId: ByteSlice
    public var timestamp: Timestamp
}

public struct StepStartedView {
    public var runId: ByteSlice
    public var stepId: ByteSlice
    public var jobId: ByteSlice
    public var inputDataclipId: ByteSlice?
    public var timestamp: Timestamp
}

public struct StepCompletedView {
    public var runId: ByteSlice
    public var stepId: ByteSlice
    public var jobId: ByteSlice
    public var reason: StepExitReason
    public var errorType: ByteSlice?
    public var errorMessage: ByteSlice?
    public var outputDataclipId: ByteSlice?
    public var outputWiped: Bool
    public var outputFromThisRun: Bool
    public var mem: Int64?
    public var duration: Int64?
    public var timestamp: Timestamp
    /// Schema 3 on; `nil` before.
    public var webhookResponse: ByteSlice?
}

public struct RunCompletedView {
    public var runId: ByteSlice
    public var state: RunState
    public var errorType: ByteSlice?
    public var errorMessage: ByteSlice?
    public var finalDataclipId: ByteSlice?
    public var createdFinalDataclip: Bool
    public var finalWiped: Bool
    public var finalFromThisRun: Bool
    public var timestamp: Timestamp
}

public struct RunLoggedView {
    public var runId: ByteSlice
    public var stepId: ByteSlice?
    public var level: ByteSlice
    public var source: ByteSlice?
    public var message: ByteSlice
    public var timestamp: Timestamp
}

public struct DataclipWipedView {
    public var dataclipId: ByteSlice
    public var timestamp: Timestamp
}

extension EventKind {
    /// Whether the kind is a run's (its stream `run:<id>`): its payload
    /// then begins with the run id. No `default`, as below.
    var isRunEvent: Bool {
        switch self {
        case .projectConfigured, .workflowPublished, .scheduleTicked, .dataclipWiped, .tokenCreated, .tokenRevoked:
            return false
        case .runCreated, .runClaimed, .runStarted, .stepStarted, .stepCompleted, .runCompleted, .runLogged,
            .runLost, .runCancelled:
            return true
        }
    }

    /// Whether `EventView` reads this kind's fields in place (the others
    /// are `.other`, read whole). No `default`: a new kind must say, here as
    /// in `Fields.read`, or a view would call its payload trailing bytes.
    var isReadInPlace: Bool {
        switch self {
        case .projectConfigured, .workflowPublished, .scheduleTicked, .tokenCreated, .tokenRevoked: return false
        case .runCreated, .runClaimed, .runStarted, .stepStarted, .stepCompleted, .runCompleted, .runLogged,
            .dataclipWiped, .runLost, .runCancelled:
            return true
        }
    }
}

extension EventView.Fields {
    /// Reads the payload of `kind` at schema version `schema` from `r`;
    /// `.other` for the kinds read only whole. A field a later schema
    /// added reads as its default in events recorded before.
    static func read(_ kind: EventKind, schema: UInt8, from r: inout BorrowedReader, sequence: UInt64) throws -> Self {
        // No local `func time()`: a nested function capturing `r` makes every
        // access to it a run-time exclusivity check.
        switch kind {
        case .runCreated:
            return .runCreated(RunCreatedView(
                runId: try r.readSlice(), workflowId: try r.readSlice(), projectId: try r.readSlice(),
                lockVersion: UInt32(truncatingIfNeeded: try r.readVarUInt()), startingTriggerId: try r.readOptionalSlice(),
                inputDataclipId: try r.readSlice(), createdInput: try r.readBool(),
                scheduledFor: try r.readOptionalInt().map(Timestamp.init(microseconds:)), timestamp: Timestamp(microseconds: try r.readVarInt())))
        case .runClaimed:
            return .runClaimed(RunClaimedView(runId: try r.readSlice(), workerName: try r.readOptionalSlice(), timestamp: Timestamp(microseconds: try r.readVarInt())))
        case .runStarted:
            return .runStarted(RunMarkView(runId: try r.readSlice(), timestamp: Timestamp(microseconds: try r.readVarInt())))
        case .runLost:
            return .runLost(RunMarkView(runId: try r.readSlice(), timestamp: Timestamp(microseconds: try r.readVarInt())))
        case .runCancelled:
            return .runCancelled(RunMarkView(runId: try r.readSlice(), timestamp: Timestamp(microseconds: try r.readVarInt())))
        case .stepStarted:
            return .stepStarted(StepStartedView(
                runId: try r.readSlice(), stepId: try r.readSlice(), jobId: try r.readSlice(),
                inputDataclipId: try r.readOptionalSlice(), timestamp: Timestamp(microseconds: try r.readVarInt())))
        case .stepCompleted:
            let runId = try r.readSlice()
            let stepId = try r.readSlice()
            let jobId = try r.readSlice()
            let code = try r.readUInt8()
            guard let reason = StepExitReason(code: code) else {
                throw EventDecodingError.malformed("exit reason \(code)", sequence: sequence)
            }
            return .stepCompleted(StepCompletedView(
                runId: runId, stepId: stepId, jobId: jobId, reason: reason, errorType: try r.readOptionalSlice(),
                errorMessage: try r.readOptionalSlice(), outputDataclipId: try r.readOptionalSlice(),
                outputWiped: try r.readBool(), outputFromThisRun: schema >= 2 ? try r.readBool() : false,
                mem: try r.readOptionalInt(), duration: try r.readOptionalInt(),
                timestamp: Timestamp(microseconds: try r.readVarInt()),
                webhookResponse: schema >= 3 ? try r.readOptionalSlice() : nil))
        case .runCompleted:
            let runId = try r.readSlice()
            let code = try r.readUInt8()
            guard let state = RunState(code: code), state.isFinal else {
                throw EventDecodingError.malformed("run state \(code)", sequence: sequence)
            }
            return .runCompleted(RunCompletedView(
                runId: runId, state: state, errorType: try r.readOptionalSlice(), errorMessage: try r.readOptionalSlice(),
                finalDataclipId: try r.readOptionalSlice(), createdFinalDataclip: try r.readBool(),
                finalWiped: try r.readBool(), finalFromThisRun: schema >= 2 ? try r.readBool() : false,
                timestamp: Timestamp(microseconds: try r.readVarInt())))
        case .runLogged:
            return .runLogged(RunLoggedView(
                runId: try r.readSlice(), stepId: try r.readOptionalSlice(), level: try r.readSlice(),
                source: try r.readOptionalSlice(), message: try r.readSlice(), timestamp: Timestamp(microseconds: try r.readVarInt())))
        case .dataclipWiped:
            return .dataclipWiped(DataclipWipedView(dataclipId: try r.readSlice(), timestamp: Timestamp(microseconds: try r.readVarInt())))
        case .projectConfigured, .workflowPublished, .scheduleTicked, .tokenCreated, .tokenRevoked:
            return .other
        }
    }

    /// The owned event these fields stand for; `nil` for `.other`.
    func event(_ string: (ByteSlice) -> String) -> Event? {
        func optional(_ s: ByteSlice?) -> String? { s.map(string) }
        switch self {
        case .runCreated(let e):
            return .runCreated(RunCreated(
                runId: string(e.runId), workflowId: string(e.workflowId), projectId: string(e.projectId),
                lockVersion: e.lockVersion, startingTriggerId: optional(e.startingTriggerId),
                inputDataclipId: string(e.inputDataclipId), createdInput: e.createdInput, scheduledFor: e.scheduledFor,
                timestamp: e.timestamp))
        case .runClaimed(let e):
            return .runClaimed(RunClaimed(runId: string(e.runId), workerName: optional(e.workerName), timestamp: e.timestamp))
        case .runStarted(let e): return .runStarted(RunStarted(runId: string(e.runId), timestamp: e.timestamp))
        case .runLost(let e): return .runLost(RunLost(runId: string(e.runId), timestamp: e.timestamp))
        case .runCancelled(let e): return .runCancelled(RunCancelled(runId: string(e.runId), timestamp: e.timestamp))
        case .stepStarted(let e):
            return .stepStarted(StepStarted(
                runId: string(e.runId), stepId: string(e.stepId), jobId: string(e.jobId),
                inputDataclipId: optional(e.inputDataclipId), timestamp: e.timestamp))
        case .stepCompleted(let e):
            return .stepCompleted(StepCompleted(
                runId: string(e.runId), stepId: string(e.stepId), jobId: string(e.jobId), reason: e.reason,
                errorType: optional(e.errorType), errorMessage: optional(e.errorMessage),
                outputDataclipId: optional(e.outputDataclipId), outputWiped: e.outputWiped,
                outputFromThisRun: e.outputFromThisRun, mem: e.mem, duration: e.duration, timestamp: e.timestamp,
                webhookResponse: e.webhookResponse?.bytes))
        case .runCompleted(let e):
            return .runCompleted(RunCompleted(
                runId: string(e.runId), state: e.state, errorType: optional(e.errorType),
                errorMessage: optional(e.errorMessage), finalDataclipId: optional(e.finalDataclipId),
                createdFinalDataclip: e.createdFinalDataclip, finalWiped: e.finalWiped,
                finalFromThisRun: e.finalFromThisRun, timestamp: e.timestamp))
        case .runLogged(let e):
            return .runLogged(RunLogged(
                runId: string(e.runId), stepId: optional(e.stepId), level: string(e.level), source: optional(e.source),
                message: string(e.message), timestamp: e.timestamp))
        case .dataclipWiped(let e):
            return .dataclipWiped(DataclipWiped(dataclipId: string(e.dataclipId), timestamp: e.timestamp))
        case .other:
            return nil
        }
    }
}
