public import EventLog
import Encoding
import LMDB

/// `runs`: run id → the run (state, times, snapshot, trigger, input, final
/// dataclip, steps); `available_by_project`: the runs waiting for a worker,
/// by project and then oldest first (what a claim reads, without scanning
/// every run nor another project's backlog). The runs of a
/// workflow in creation order are a projection of their own
/// (`WorkflowRunsProjector`). A step is found through the
/// log's own step → run index (`EventStore.runId(ofStep:)`), which the log
/// keeps to check step events as they arrive; a table here would be a
/// second copy of it, and a fifth of a rebuild's writes. The fold
/// (`RunDraft`) is the event log's own (`RunAggregate`) over event views; a
/// test holds the two to the same records, so the projection and the
/// lifecycle checks agree.
public struct RunsProjector: Projector {
    public let name = "runs"
    /// 2: the `available` index. 3: no `steps` table. 4: `by_workflow`
    /// moved to the `workflow_runs` projection. 5: available runs keyed by
    /// project first (`available_by_project`; opening an older store
    /// rebuilds the projection and drops `available`): one project's
    /// backlog, created at any time a worker gave, starved the others' claims.
    /// 6: run records of format 2 (the latest webhook response).
    public let version: UInt32 = 6
    public let tables = ["runs", "available_by_project"]
    public let kinds = EventKinds(
        .runCreated, .runClaimed, .runStarted, .stepStarted, .stepCompleted, .runCompleted, .runLost, .runCancelled)
    /// Its replay is the longest, its writes the fewest: see
    /// `Projector.detachedKinds`. A run read back after being written in the
    /// same batch needs the writer (`storedRun`).
    public var detachedKinds: EventKinds { kinds }
    static let runs = 0, available = 1

    /// The run's key in `available_by_project`: (project, created_at, run
    /// id): a claim reads its own project's runs, oldest first.
    static func availableKey(_ run: RunDraft, into key: inout EntryBuilder) {
        key.appendPart(run.projectId)
        key.appendTime(run.createdAt)
        key.append(run.runId)
    }

    public init() {}

    /// Runs touched in this batch, read once and written once at `flush`.
    /// Boxed: a dictionary of large structs moves each one in and out of its
    /// storage on every in-place update; a box is mutated where it is.
    final class Touched {
        // Mutated at every run event, never from two places at once: no
        // run-time exclusivity checks (they cost more than the fold).
        final class Box {
            @exclusivity(unchecked) var run: RunDraft
            /// Whether the run is in the `available` index from an earlier batch.
            let indexedAsAvailable: Bool
            /// The stored record the run was read from, which its slices point into.
            let record: OwnedBytes?
            init(_ run: RunDraft, record: OwnedBytes?) {
                self.run = run
                self.record = record
                indexedAsAvailable = record != nil && run.state == .available
            }
        }
        // Small at first: most batches are a request's few events, and a
        // table sized for a replay's batch cost every catch-up a megabyte
        // of zeroed pages. It doubles as it fills.
        @exclusivity(unchecked) var runs = SliceTable<Box>(capacity: 64)
        /// Final runs already handed to the deferred writes in this batch,
        /// by a hash of their id: a collision only costs an early write.
        @exclusivity(unchecked) var written: Set<UInt64> = []
        init() {}
    }

    func touched(_ context: ProjectionContext) -> Touched { context.scratch.object("runs", Touched.init) }

    public func flush(_ context: ProjectionContext) throws {
        guard let touched = context.scratch.values["runs"] as? Touched else { return }
        try touched.runs.forEach { _, box in try write(box, context) }
        touched.runs.removeAll()
        touched.written.removeAll()
    }

    private func write(_ box: Touched.Box, _ context: ProjectionContext) throws {
        context.putAtEndOfBatch(Self.runs, key: { $0.append(box.run.runId) }, valueBound: RunRecord.bound(box.run)) {
            RunRecord.encode(box.run, to: $0)
        }
        // Each run is either in the index or not when it is written, so its
        // key is put or deleted, never both.
        if box.run.state == .available {
            if !box.indexedAsAvailable { context.putAtEndOfBatch(Self.available, key: { Self.availableKey(box.run, into: &$0) }) }
        } else if box.indexedAsAvailable {
            context.deleteAtEndOfBatch(Self.available) { Self.availableKey(box.run, into: &$0) }
        }
    }

    public func apply(_ event: EventView, _ context: ProjectionContext) throws {
        // By kind, not by `fields`: matching on `fields` copies the payload,
        // and only a run's creation needs it here.
        switch event.kind {
        case .runCreated:
            guard let run = RunDraft(event) else { return }
            touched(context).runs[run.runId] = Touched.Box(run, record: nil)
        case .runClaimed, .runStarted, .stepStarted, .stepCompleted, .runCompleted, .runLost, .runCancelled:
            if let runId = event.runId { try update(runId, event, context) }
        case .runLogged, .dataclipWiped, .projectConfigured, .workflowPublished, .scheduleTicked, .tokenCreated,
            .tokenRevoked:
            break
        }
    }

    private func update(_ runId: ByteSlice, _ event: EventView, _ context: ProjectionContext) throws {
        let batch = touched(context)
        let box: Touched.Box
        if let touched = batch.runs[runId] {
            box = touched
            box.run.apply(event)
        } else if let bytes = try storedRun(runId, batch, context) {
            let record = OwnedBytes(bytes)
            box = Touched.Box(try RunRecord.draft(record.bytes), record: record)
            box.run.apply(event)
            batch.runs[box.run.runId] = box
        } else {
            return
        }
        // A final run never changes again (the log refuses every event that
        // would change it): it is written now and leaves the batch's
        // memory, which then holds only the runs still going.
        if box.run.state.isFinal {
            try write(box, context)
            batch.runs[runId] = nil
            batch.written.insert(runId.hash64)
        }
    }

    /// The stored run, as the table will hold it: a run written earlier in
    /// this batch is still among the deferred writes, which land first.
    /// (The log refuses events for final runs, so this happens only with a
    /// log from before that rule; replay stays exact all the same.)
    private func storedRun(_ runId: ByteSlice, _ batch: Touched, _ context: ProjectionContext) throws -> [UInt8]? {
        if batch.written.contains(runId.hash64) {
            // Reading it back needs its deferred write made: the writer's work.
            if context.isDetached { throw ProjectionError.needsWriter }
            try context.writeDeferred()
            batch.written.removeAll()
        }
        return try context.get(Self.runs, runId.bytes)
    }
}

public enum ProjectionError: Error, CustomStringConvertible {
    case corrupt(String)
    /// A projector replayed detached wrote other than at the end of the
    /// batch: its `detachedKinds` promise more than its `apply` keeps.
    case detachedWrite
    /// Thrown by a projector replayed detached, before it changes anything,
    /// for an event only the writer's thread can apply: the engine hands the
    /// projector to that thread, which applies the event again.
    case needsWriter
    /// The projection was rebuilt by a cairn whose projector has another
    /// version (two versions serving one folder during an upgrade).
    case otherVersion(projection: String, stored: UInt32, ours: UInt32)
    public var description: String {
        switch self {
        case .corrupt(let what): return "projection state is damaged (\(what)); run `cairn rebuild`"
        case let .otherVersion(projection, stored, ours):
            return "projection \(projection) is at version \(stored), written by another cairn; this one has version "
                + "\(ours): run one version of cairn on a folder (a restart of this one rebuilds it in its own)"
        case .detachedWrite: return "a projector replayed off the writer's thread tried to write (a bug in its detachedKinds)"
        case .needsWriter: return "a projector replayed off the writer's thread needs the writer for this event"
        }
    }
}
