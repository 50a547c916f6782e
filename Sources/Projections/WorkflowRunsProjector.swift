public import EventLog
import Encoding

/// `by_workflow`: (workflow, created_at, run) → nothing, the runs of each
/// workflow in creation order, which `Projections.runs(ofWorkflow:)` lists
/// and reads from the runs projection.
///
/// A projection of its own, apart from `runs`, because it needs nothing
/// but `run:created`: a rebuild replays it on the writer's thread beside
/// the cursor projections, and the runs projection, whose long fold the
/// writer waits for, no longer builds, sorts and hands over its 100,000
/// entries a million events (docs/architecture.md).
public struct WorkflowRunsProjector: Projector {
    public let name = "workflow_runs"
    public let version: UInt32 = 1
    public let tables = ["by_workflow"]
    public let kinds = EventKinds(.runCreated)
    static let byWorkflow = 0

    public init() {}

    public func apply(_ event: EventView, _ context: ProjectionContext) throws {
        guard case .runCreated(let e) = event.fields else { return }
        context.putAtEndOfBatch(Self.byWorkflow, key: {
            $0.appendPart(e.workflowId)
            $0.appendTime(e.timestamp)
            $0.append(e.runId)
        })
    }
}
