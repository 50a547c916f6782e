public import EventLog
import Encoding

/// `outputs`: (workflow, job) → every successful, non-wiped step output,
/// ordered by (finished_at, sequence); the last is the job's latest output.
/// `run_workflow` remembers the workflow of each run still going, so a step
/// can be placed.
public struct JobOutputsProjector: Projector {
    public let name = "job_outputs"
    /// 2: `run_workflow` holds only runs in flight.
    public let version: UInt32 = 2
    public let tables = ["outputs", "by_dataclip", "run_workflow"]
    public let kinds = EventKinds(.runCreated, .stepCompleted, .runCompleted, .runLost, .runCancelled, .dataclipWiped)
    static let outputs = 0, byDataclip = 1, runWorkflow = 2
    let history = LatestByTime(entries: outputs, byDataclip: byDataclip)
    let runs = RunsInFlight(table: runWorkflow, scratchKey: "run_workflow")

    public init() {}

    public static func key(workflowId: String, jobId: String) -> [UInt8] { Key.part(workflowId) + Key.part(jobId) }

    public func apply(_ event: EventView, _ context: ProjectionContext) throws {
        switch event.fields {
        case .runCreated(let e):
            runs.started(e.runId, e.workflowId, context)
        case .stepCompleted(let e):
            guard e.reason == .success, let output = e.outputDataclipId, !e.outputWiped,
                let workflow = try runs.value(of: e.runId, context)
            else { return }
            // The key is `key(workflowId:jobId:)`'s, built in place.
            try history.insert(
                time: e.timestamp, sequence: event.sequence, dataclipId: output, fromThisRun: e.outputFromThisRun,
                context
            ) {
                $0.appendPart(workflow)
                $0.appendPart(e.jobId)
            }
        case .runCompleted, .runLost, .runCancelled:
            if let runId = event.runId { runs.ended(runId, context) }
        case .dataclipWiped(let e):
            try history.remove(dataclipId: e.dataclipId, wipe: event.sequence, context) { event, created in
                guard case .stepCompleted(let step) = event.fields, step.outputDataclipId == e.dataclipId else {
                    return nil
                }
                var key: [UInt8] = []
                key.appendPart(created.workflowId)
                key.appendPart(step.jobId)
                return (key, step.timestamp)
            }
        default:
            break
        }
    }

    public func flush(_ context: ProjectionContext) throws { runs.flush(context) }
}

/// `finals`: (workflow, trigger) → the final dataclip of every successful
/// run the trigger started (not wiped), ordered by (finished_at, sequence).
/// `run_trigger` remembers the workflow and trigger of each run still going.
///
/// Keyed by the workflow too: a data folder written before ids were owned
/// may hold two workflows with the same trigger id, and one's runs must not
/// feed the other's cursor (docs/architecture.md, "Ids belong to one workflow").
public struct TriggerFinalsProjector: Projector {
    public let name = "trigger_finals"
    /// 2: `run_trigger` holds only runs in flight. 3: keyed by (workflow, trigger).
    public let version: UInt32 = 3
    public let tables = ["finals", "by_dataclip", "run_trigger"]
    public let kinds = EventKinds(.runCreated, .runCompleted, .runLost, .runCancelled, .dataclipWiped)
    static let finals = 0, byDataclip = 1, runTrigger = 2
    let history = LatestByTime(entries: finals, byDataclip: byDataclip)
    let runs = RunsInFlight(table: runTrigger, scratchKey: "run_trigger")

    public init() {}

    public static func key(workflowId: String, triggerId: String) -> [UInt8] {
        Key.part(workflowId) + Key.part(triggerId)
    }

    public func apply(_ event: EventView, _ context: ProjectionContext) throws {
        switch event.fields {
        case .runCreated(let e):
            if let trigger = e.startingTriggerId {
                runs.started(e.runId, e.workflowId, then: trigger, context)
            } else {
                runs.started(e.runId, nil, context)
            }
        case .runCompleted(let e):
            defer { runs.ended(e.runId, context) }
            guard e.state == .success, let final = e.finalDataclipId, !e.finalWiped,
                let workflowAndTrigger = try runs.value(of: e.runId, context)
            else { return }
            // The key is `key(workflowId:triggerId:)`'s, built in place.
            try history.insert(
                time: e.timestamp, sequence: event.sequence, dataclipId: final, fromThisRun: e.finalFromThisRun, context
            ) {
                $0.appendPart(workflowAndTrigger)
            }
        case .runLost, .runCancelled:
            if let runId = event.runId { runs.ended(runId, context) }
        case .dataclipWiped(let e):
            try history.remove(dataclipId: e.dataclipId, wipe: event.sequence, context) { event, created in
                guard case .runCompleted(let run) = event.fields, run.finalDataclipId == e.dataclipId,
                    let trigger = created.startingTriggerId
                else { return nil }
                return (Key.part(created.workflowId) + Key.part(trigger), run.timestamp)
            }
        default:
            break
        }
    }

    public func flush(_ context: ProjectionContext) throws { runs.flush(context) }
}
