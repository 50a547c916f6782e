import EventLog
import Encoding

/// A run as the `runs` projection folds and stores it: `RunAggregate`'s
/// fold, over event views, with every id a slice of the event that brought
/// it (or of the stored record it was read from). A replay folds a million
/// events without building a string; readers turn the record into a
/// `RunAggregate` (`RunRecord.decode`).
///
/// The slices are valid only as long as the memory under them: a batch's
/// events, and the copies of stored records the batch keeps (`OwnedBytes`).
struct RunDraft {
    var runId: ByteSlice
    var workflowId: ByteSlice
    var projectId: ByteSlice
    var lockVersion: UInt32
    var startingTriggerId: ByteSlice?
    var inputDataclipId: ByteSlice
    var state: RunState
    var workerName: ByteSlice?
    var createdAt: Timestamp
    var claimedAt: Timestamp?
    var startedAt: Timestamp?
    var finishedAt: Timestamp?
    var finalDataclipId: ByteSlice?
    var errorType: ByteSlice?
    var errorMessage: ByteSlice?
    /// Steps in the order they started.
    var steps: [StepDraft]
    /// How many events the stream holds.
    var version: UInt32
    /// The latest webhook response a step gave (`RunAggregate.webhookResponse`).
    var webhookResponse: ByteSlice? = nil

    struct StepDraft {
        var id: ByteSlice
        var jobId: ByteSlice
        var inputDataclipId: ByteSlice?
        var outputDataclipId: ByteSlice?
        var exitReason: StepExitReason?
        var errorType: ByteSlice?
        var errorMessage: ByteSlice?
        var startedAt: Timestamp
        var finishedAt: Timestamp?
    }
}

extension RunDraft {
    /// Starts the fold from the stream's first event, which must be `run:created`.
    init?(_ first: EventView) {
        guard case .runCreated(let e) = first.fields else { return nil }
        self.init(
            runId: e.runId, workflowId: e.workflowId, projectId: e.projectId, lockVersion: e.lockVersion,
            startingTriggerId: e.startingTriggerId, inputDataclipId: e.inputDataclipId, state: .available,
            createdAt: e.timestamp, steps: [], version: first.streamVersion)
        // Room for a few steps at once: growing one step at a time
        // reallocated the array at the first, second and third.
        steps.reserveCapacity(4)
    }

    /// `RunAggregate.apply`, field for field (a test holds the two folds to
    /// the same records).
    mutating func apply(_ event: EventView) {
        version = event.streamVersion
        switch event.fields {
        case .runClaimed(let e):
            state = .claimed
            workerName = e.workerName
            claimedAt = e.timestamp
        case .runStarted(let e):
            state = .started
            startedAt = e.timestamp
        case .stepStarted(let e):
            steps.append(StepDraft(
                id: e.stepId, jobId: e.jobId, inputDataclipId: e.inputDataclipId, startedAt: e.timestamp))
        case .stepCompleted(let e):
            if let index = steps.firstIndex(where: { $0.id == e.stepId }) {
                steps[index].exitReason = e.reason
                steps[index].outputDataclipId = e.outputDataclipId
                steps[index].errorType = e.errorType
                steps[index].errorMessage = e.errorMessage
                steps[index].finishedAt = e.timestamp
            }
            if let response = e.webhookResponse { webhookResponse = response }
        case .runCompleted(let e):
            state = e.state
            finishedAt = e.timestamp
            finalDataclipId = e.finalDataclipId
            errorType = e.errorType
            errorMessage = e.errorMessage
        case .runLost(let e):
            state = .lost
            finishedAt = e.timestamp
        case .runCancelled(let e):
            state = .cancelled
            finishedAt = e.timestamp
        case .runCreated, .runLogged, .dataclipWiped, .other:
            break
        }
    }
}

/// The stored form of a run:
///
///     u8 format (1) · run · workflow · project · varuint lock version ·
///     trigger? · input · state · worker? · varint created µs · claimed? ·
///     started? · finished? · final dataclip? · error type? · error message? ·
///     varuint stream version · varuint step count · steps ·
///     webhook response? (format 2 on)
///
/// and each step: id · job · input? · output? · exit reason? · error type? ·
/// error message? · varint started µs · finished?. Strings are varstrings;
/// `?` is a presence byte, then the value.
enum RunRecord {
    /// 2: the run's latest webhook response, after the steps.
    static let format: UInt8 = 2

    /// The most bytes `encode` writes for `r`.
    static func bound(_ r: RunDraft) -> Int {
        func b(_ s: ByteSlice?) -> Int { RawByteWriter.bound(s) }
        let varint = RawByteWriter.maxVarIntCount
        var total = 1 + b(r.runId) + b(r.workflowId) + b(r.projectId) + varint + b(r.startingTriggerId)
        total += b(r.inputDataclipId) + b(r.state.slice) + b(r.workerName) + varint + 3 * (1 + varint)
        total += b(r.finalDataclipId) + b(r.errorType) + b(r.errorMessage) + 2 * varint
        for s in r.steps {
            total += b(s.id) + b(s.jobId) + b(s.inputDataclipId) + b(s.outputDataclipId) + b(s.exitReason?.slice)
            total += b(s.errorType) + b(s.errorMessage) + varint + 1 + varint
        }
        return total + b(r.webhookResponse)
    }

    /// Writes `r` at `target` (room for `bound(r)` bytes); returns the bytes written.
    static func encode(_ r: RunDraft, to target: UnsafeMutableRawPointer) -> Int {
        var w = RawByteWriter(target)
        w.byte(format)
        w.varString(r.runId)
        w.varString(r.workflowId)
        w.varString(r.projectId)
        w.varUInt(UInt64(r.lockVersion))
        w.optional(r.startingTriggerId)
        w.varString(r.inputDataclipId)
        w.varString(r.state.slice)
        w.optional(r.workerName)
        w.varInt(r.createdAt.microseconds)
        w.optional(r.claimedAt?.microseconds)
        w.optional(r.startedAt?.microseconds)
        w.optional(r.finishedAt?.microseconds)
        w.optional(r.finalDataclipId)
        w.optional(r.errorType)
        w.optional(r.errorMessage)
        w.varUInt(UInt64(r.version))
        w.varUInt(UInt64(r.steps.count))
        for s in r.steps {
            w.varString(s.id)
            w.varString(s.jobId)
            w.optional(s.inputDataclipId)
            w.optional(s.outputDataclipId)
            w.optional(s.exitReason?.slice)
            w.optional(s.errorType)
            w.optional(s.errorMessage)
            w.varInt(s.startedAt.microseconds)
            w.optional(s.finishedAt?.microseconds)
        }
        w.optional(r.webhookResponse)
        return w.written
    }

    /// The run in `bytes`, its strings slices of `bytes`.
    static func draft(_ bytes: UnsafeRawBufferPointer) throws -> RunDraft {
        var r = BorrowedReader(bytes)
        // Format 1 (before webhook responses) is read while a rebuild to format 2 runs.
        let recordFormat = try r.readUInt8()
        guard recordFormat == 1 || recordFormat == format else { throw ProjectionError.corrupt("run record format") }
        let runId = try r.readSlice()
        let workflowId = try r.readSlice()
        let projectId = try r.readSlice()
        let lockVersion = UInt32(truncatingIfNeeded: try r.readVarUInt())
        let trigger = try r.readOptionalSlice()
        let input = try r.readSlice()
        guard let state = RunState(rawValue: try r.readSlice().string) else { throw ProjectionError.corrupt("run state") }
        let worker = try r.readOptionalSlice()
        let created = Timestamp(microseconds: try r.readVarInt())
        let claimed = try r.readOptionalInt().map(Timestamp.init(microseconds:))
        let started = try r.readOptionalInt().map(Timestamp.init(microseconds:))
        let finished = try r.readOptionalInt().map(Timestamp.init(microseconds:))
        let final = try r.readOptionalSlice()
        let errorType = try r.readOptionalSlice()
        let errorMessage = try r.readOptionalSlice()
        let version = UInt32(truncatingIfNeeded: try r.readVarUInt())
        let count = try r.readLength()
        var steps: [RunDraft.StepDraft] = []
        steps.reserveCapacity(count)
        for _ in 0..<count {
            let id = try r.readSlice()
            let job = try r.readSlice()
            let stepInput = try r.readOptionalSlice()
            let output = try r.readOptionalSlice()
            let reason = try r.readOptionalSlice().map { raw in
                guard let reason = StepExitReason(rawValue: raw.string) else { throw ProjectionError.corrupt("exit reason") }
                return reason
            }
            steps.append(RunDraft.StepDraft(
                id: id, jobId: job, inputDataclipId: stepInput, outputDataclipId: output, exitReason: reason,
                errorType: try r.readOptionalSlice(), errorMessage: try r.readOptionalSlice(), startedAt: Timestamp(microseconds: try r.readVarInt()),
                finishedAt: try r.readOptionalInt().map(Timestamp.init(microseconds:))))
        }
        return RunDraft(
            runId: runId, workflowId: workflowId, projectId: projectId, lockVersion: lockVersion,
            startingTriggerId: trigger, inputDataclipId: input, state: state, workerName: worker, createdAt: created,
            claimedAt: claimed, startedAt: started, finishedAt: finished, finalDataclipId: final, errorType: errorType,
            errorMessage: errorMessage, steps: steps, version: version,
            webhookResponse: recordFormat >= 2 ? try r.readOptionalSlice() : nil)
    }

    /// The run in `bytes`, for readers.
    static func decode(_ bytes: [UInt8]) throws -> RunAggregate {
        try bytes.withUnsafeBytes { raw in
            let r = try draft(raw)
            func string(_ s: ByteSlice) -> String { s.string }
            return RunAggregate(
                runId: string(r.runId), workflowId: string(r.workflowId), projectId: string(r.projectId),
                lockVersion: r.lockVersion, startingTriggerId: r.startingTriggerId.map(string),
                inputDataclipId: string(r.inputDataclipId), state: r.state, workerName: r.workerName.map(string),
                createdAt: r.createdAt, claimedAt: r.claimedAt, startedAt: r.startedAt, finishedAt: r.finishedAt,
                finalDataclipId: r.finalDataclipId.map(string), errorType: r.errorType.map(string),
                errorMessage: r.errorMessage.map(string),
                steps: r.steps.map { s in
                    StepRecord(
                        id: string(s.id), jobId: string(s.jobId), inputDataclipId: s.inputDataclipId.map(string),
                        outputDataclipId: s.outputDataclipId.map(string), exitReason: s.exitReason,
                        errorType: s.errorType.map(string), errorMessage: s.errorMessage.map(string),
                        startedAt: s.startedAt, finishedAt: s.finishedAt)
                },
                version: r.version, webhookResponse: r.webhookResponse?.bytes)
        }
    }
}

/// A copy of some bytes that stays put until the owner goes: what a batch
/// keeps of a record it read back, so slices of it outlive the read (a
/// write to the table may move the page it came from).
final class OwnedBytes {
    private let buffer: UnsafeMutableRawBufferPointer
    private let count: Int

    init(_ bytes: [UInt8]) {
        count = bytes.count
        buffer = .allocate(byteCount: max(bytes.count, 1), alignment: 1)
        bytes.withUnsafeBytes { buffer.copyMemory(from: $0) }
    }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: buffer[0..<count]) }

    deinit { buffer.deallocate() }
}

/// The raw values of the states and exit reasons, as slices of static
/// memory in code order, so a record is written without building a string.
private enum StaticSlices {
    static let runStates = RunState.allCases.map { make($0.rawValue) }
    static let exitReasons = StepExitReason.allCases.map { make($0.rawValue) }

    /// Never freed: a handful of short strings for the process's life.
    static func make(_ s: String) -> ByteSlice {
        let utf8 = Array(s.utf8)
        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: max(utf8.count, 1), alignment: 1)
        utf8.withUnsafeBytes { memory.copyMemory(from: $0) }
        return ByteSlice(UnsafeRawBufferPointer(rebasing: memory[0..<utf8.count]))
    }
}

extension RunState {
    var slice: ByteSlice { StaticSlices.runStates[Int(code)] }
}

extension StepExitReason {
    var slice: ByteSlice { StaticSlices.exitReasons[Int(code)] }
}
