public import EventLog
import Encoding
import LMDB

/// `runs`: run id → the run (state, times, snapshot, trigger, input, final
/// dataclip, steps); `steps`: step id → run id; `by_workflow`: the runs of a
/// workflow in creation order; `available`: the runs waiting for a worker,
/// oldest first (what a claim reads, without scanning every run). The fold
/// is the event log's own (`RunAggregate`), so the projection and the
/// lifecycle checks agree.
public struct RunsProjector: Projector {
    public let name = "runs"
    /// 2: the `available` index.
    public let version: UInt32 = 2
    public let tables = ["runs", "steps", "by_workflow", "available"]
    public let kinds = EventKinds(
        .runCreated, .runClaimed, .runStarted, .stepStarted, .stepCompleted, .runCompleted, .runLost, .runCancelled)
    static let runs = 0, steps = 1, byWorkflow = 2, available = 3

    static func availableKey(_ run: RunAggregate) -> [UInt8] { Key.time(run.createdAt) + Array(run.runId.utf8) }

    public init() {}

    /// Runs touched in this batch, decoded once and written once at `flush`.
    /// Boxed: a dictionary of large structs moves each one in and out of its
    /// storage on every in-place update; a box is mutated where it is.
    final class Touched {
        final class Box {
            var run: RunAggregate
            /// Whether the run is in the `available` index from an earlier batch.
            let indexedAsAvailable: Bool
            init(_ run: RunAggregate, stored: Bool) {
                self.run = run
                indexedAsAvailable = stored && run.state == .available
            }
        }
        var runs: [String: Box] = [:]
        /// Final runs already handed to the deferred writes in this batch,
        /// by a hash of their id: a collision only costs an early write.
        var written: Set<UInt64> = []
        init() { runs.reserveCapacity(4_096) }
    }

    func touched(_ context: ProjectionContext) -> Touched { context.scratch.object("runs", Touched.init) }

    public func flush(_ context: ProjectionContext) throws {
        guard let touched = context.scratch.values["runs"] as? Touched else { return }
        for (id, box) in touched.runs { try write(id, box, context) }
        touched.runs.removeAll()
        touched.written.removeAll()
    }

    private func write(_ id: String, _ box: Touched.Box, _ context: ProjectionContext) throws {
        let record = RunRecord.encode(box.run)
        context.putAtEndOfBatch(Self.runs, key: { $0.appendUTF8(id) }, value: { $0.append(contentsOf: record) })
        // Each run is either in the index or not when it is written, so its
        // key is put or deleted, never both.
        if box.run.state == .available {
            if !box.indexedAsAvailable { context.putAtEndOfBatch(Self.available, Self.availableKey(box.run), []) }
        } else if box.indexedAsAvailable {
            try context.delete(Self.available, Self.availableKey(box.run))
        }
    }

    public func apply(_ event: RecordedEvent, _ context: ProjectionContext) throws {
        switch event.event {
        case .runCreated(let e):
            guard let run = RunAggregate(event) else { return }
            touched(context).runs[e.runId] = Touched.Box(run, stored: false)
            context.putAtEndOfBatch(Self.byWorkflow, key: {
                $0.appendPart(e.workflowId)
                $0.appendTime(e.timestamp)
                $0.appendUTF8(e.runId)
            })
        case .runClaimed(let e): try update(e.runId, event, context)
        case .runStarted(let e): try update(e.runId, event, context)
        case .stepStarted(let e):
            try update(e.runId, event, context)
            context.putAtEndOfBatch(Self.steps, key: { $0.appendUTF8(e.stepId) }, value: { $0.appendUTF8(e.runId) })
        case .stepCompleted(let e): try update(e.runId, event, context)
        case .runCompleted(let e): try update(e.runId, event, context)
        case .runLost(let e): try update(e.runId, event, context)
        case .runCancelled(let e): try update(e.runId, event, context)
        case .runLogged, .projectConfigured, .workflowPublished, .dataclipWiped, .scheduleTicked: break
        }
    }

    private func update(_ runId: String, _ event: RecordedEvent, _ context: ProjectionContext) throws {
        let batch = touched(context)
        let box: Touched.Box
        if let touched = batch.runs[runId] {
            box = touched
            box.run.apply(event)
        } else if let bytes = try storedRun(runId, batch, context) {
            box = Touched.Box(try RunRecord.decode(bytes), stored: true)
            box.run.apply(event)
            batch.runs[runId] = box
        } else {
            return
        }
        // A final run never changes again (the log refuses every event that
        // would change it): it is written now and leaves the batch's
        // memory, which then holds only the runs still going.
        if box.run.state.isFinal {
            try write(runId, box, context)
            batch.runs[runId] = nil
            batch.written.insert(Self.writtenKey(runId))
        }
    }

    static func writtenKey(_ runId: String) -> UInt64 {
        var id = runId
        return id.withUTF8 { utf8 in utf8.baseAddress.map { StringInterner.hash(UnsafeRawPointer($0), utf8.count) } ?? 0 }
    }

    /// The stored run, as the table will hold it: a run written earlier in
    /// this batch is still among the deferred writes, which land first.
    /// (The log refuses events for final runs, so this happens only with a
    /// log from before that rule; replay stays exact all the same.)
    private func storedRun(_ runId: String, _ batch: Touched, _ context: ProjectionContext) throws -> [UInt8]? {
        if batch.written.contains(Self.writtenKey(runId)) {
            try context.writeDeferred()
            batch.written.removeAll()
        }
        return try context.get(Self.runs, Array(runId.utf8))
    }
}

/// The stored form of a `RunAggregate`.
enum RunRecord {
    static func encode(_ r: RunAggregate) -> [UInt8] {
        var w = ByteWriter(capacity: 160 + r.steps.count * 96)
        w.writeUInt8(1)
        w.writeVarString(r.runId)
        w.writeVarString(r.workflowId)
        w.writeVarString(r.projectId)
        w.writeVarUInt(UInt64(r.lockVersion))
        w.writeOptional(r.startingTriggerId)
        w.writeVarString(r.inputDataclipId)
        w.writeVarString(r.state.rawValue)
        w.writeOptional(r.workerName)
        w.writeVarInt(r.createdAt.microseconds)
        w.writeOptional(r.claimedAt?.microseconds)
        w.writeOptional(r.startedAt?.microseconds)
        w.writeOptional(r.finishedAt?.microseconds)
        w.writeOptional(r.finalDataclipId)
        w.writeOptional(r.errorType)
        w.writeOptional(r.errorMessage)
        w.writeVarUInt(UInt64(r.version))
        w.writeVarUInt(UInt64(r.steps.count))
        for s in r.steps {
            w.writeVarString(s.id)
            w.writeVarString(s.jobId)
            w.writeOptional(s.inputDataclipId)
            w.writeOptional(s.outputDataclipId)
            w.writeOptional(s.exitReason?.rawValue)
            w.writeOptional(s.errorType)
            w.writeOptional(s.errorMessage)
            w.writeVarInt(s.startedAt.microseconds)
            w.writeOptional(s.finishedAt?.microseconds)
        }
        return w.bytes
    }

    static func decode(_ bytes: [UInt8]) throws -> RunAggregate {
        var r = ByteReader(bytes)
        guard try r.readUInt8() == 1 else { throw ProjectionError.corrupt("run record format") }
        let runId = try r.readVarString()
        let workflowId = try r.readVarString()
        let projectId = try r.readVarString()
        let lockVersion = UInt32(truncatingIfNeeded: try r.readVarUInt())
        let trigger = try r.readOptionalString()
        let input = try r.readVarString()
        guard let state = RunState(rawValue: try r.readVarString()) else { throw ProjectionError.corrupt("run state") }
        let worker = try r.readOptionalString()
        let created = Timestamp(microseconds: try r.readVarInt())
        let claimed = try r.readOptionalInt().map(Timestamp.init(microseconds:))
        let started = try r.readOptionalInt().map(Timestamp.init(microseconds:))
        let finished = try r.readOptionalInt().map(Timestamp.init(microseconds:))
        let final = try r.readOptionalString()
        let errorType = try r.readOptionalString()
        let errorMessage = try r.readOptionalString()
        let version = UInt32(truncatingIfNeeded: try r.readVarUInt())
        let count = try r.readLength()
        var steps: [StepRecord] = []
        steps.reserveCapacity(count)
        for _ in 0..<count {
            let id = try r.readVarString()
            let job = try r.readVarString()
            let stepInput = try r.readOptionalString()
            let output = try r.readOptionalString()
            let reason = try r.readOptionalString().flatMap(StepExitReason.init(rawValue:))
            let type = try r.readOptionalString()
            let message = try r.readOptionalString()
            let stepStarted = Timestamp(microseconds: try r.readVarInt())
            let stepFinished = try r.readOptionalInt().map(Timestamp.init(microseconds:))
            steps.append(StepRecord(
                id: id, jobId: job, inputDataclipId: stepInput, outputDataclipId: output, exitReason: reason,
                errorType: type, errorMessage: message, startedAt: stepStarted, finishedAt: stepFinished))
        }
        return RunAggregate(
            runId: runId, workflowId: workflowId, projectId: projectId, lockVersion: lockVersion,
            startingTriggerId: trigger, inputDataclipId: input, state: state, workerName: worker, createdAt: created,
            claimedAt: claimed, startedAt: started, finishedAt: finished, finalDataclipId: final, errorType: errorType,
            errorMessage: errorMessage, steps: steps, version: version)
    }
}

public enum ProjectionError: Error, CustomStringConvertible {
    case corrupt(String)
    /// A projector replayed detached wrote other than at the end of the
    /// batch: its `detachedKinds` promise more than its `apply` keeps.
    case detachedWrite
    public var description: String {
        switch self {
        case .corrupt(let what): return "projection state is damaged (\(what)); run `cairn rebuild`"
        case .detachedWrite: return "a projector replayed off the writer's thread tried to write (a bug in its detachedKinds)"
        }
    }
}
