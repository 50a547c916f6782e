public import EventLog
import Encoding

/// `outputs`: (workflow, job) → every successful, non-wiped step output,
/// ordered by (finished_at, sequence); the last is the job's latest output.
/// `run_workflow` remembers each run's workflow so a step can be placed.
public struct JobOutputsProjector: Projector {
    public let name = "job_outputs"
    public let version: UInt32 = 1
    public let tables = ["outputs", "by_dataclip", "run_workflow"]
    public let kinds = EventKinds(.runCreated, .stepCompleted, .dataclipWiped)
    /// A wipe reads and deletes this batch's entries: the writer's.
    public let detachedKinds = EventKinds(.runCreated, .stepCompleted)
    static let outputs = 0, byDataclip = 1, runWorkflow = 2
    let history = LatestByTime(entries: outputs, byDataclip: byDataclip)

    public init() {}

    public static func key(workflowId: String, jobId: String) -> [UInt8] { Key.part(workflowId) + Key.part(jobId) }

    public func apply(_ event: EventView, _ context: ProjectionContext) throws {
        switch event.fields {
        case .runCreated(let e):
            context.scratch.object("run_workflow", BatchMap.init).values[e.runId] = e.workflowId
            context.putAtEndOfBatch(Self.runWorkflow, key: { $0.append(e.runId) }, value: { $0.append(e.workflowId) })
        case .stepCompleted(let e):
            guard e.reason == .success, let output = e.outputDataclipId, !e.outputWiped else { return }
            // The key is `key(workflowId:jobId:)`'s, built in place.
            if let workflow = context.scratch.object("run_workflow", BatchMap.init).values[e.runId] {
                try history.insert(time: e.timestamp, sequence: event.sequence, dataclipId: output, context) {
                    $0.appendPart(workflow)
                    $0.appendPart(e.jobId)
                }
            } else if let workflow = try context.get(Self.runWorkflow, e.runId.bytes) {
                try history.insert(time: e.timestamp, sequence: event.sequence, dataclipId: output, context) {
                    $0.append(bytes: workflow)
                    $0.appendByte(0)
                    $0.appendPart(e.jobId)
                }
            }
        case .dataclipWiped(let e):
            try history.remove(dataclipId: e.dataclipId, context)
        default:
            break
        }
    }
}

/// `finals`: trigger → the final dataclip of every successful run it started
/// (not wiped), ordered by (finished_at, sequence). `run_trigger` remembers
/// which trigger started each run.
public struct TriggerFinalsProjector: Projector {
    public let name = "trigger_finals"
    public let version: UInt32 = 1
    public let tables = ["finals", "by_dataclip", "run_trigger"]
    public let kinds = EventKinds(.runCreated, .runCompleted, .dataclipWiped)
    public let detachedKinds = EventKinds(.runCreated, .runCompleted)
    static let finals = 0, byDataclip = 1, runTrigger = 2
    let history = LatestByTime(entries: finals, byDataclip: byDataclip)

    public init() {}

    public static func key(triggerId: String) -> [UInt8] { Key.part(triggerId) }

    public func apply(_ event: EventView, _ context: ProjectionContext) throws {
        switch event.fields {
        case .runCreated(let e):
            if let trigger = e.startingTriggerId {
                context.scratch.object("run_trigger", BatchMap.init).values[e.runId] = trigger
                context.putAtEndOfBatch(Self.runTrigger, key: { $0.append(e.runId) }, value: { $0.append(trigger) })
            }
        case .runCompleted(let e):
            guard e.state == .success, let final = e.finalDataclipId, !e.finalWiped else { return }
            // The key is `key(triggerId:)`'s, built in place.
            if let trigger = context.scratch.object("run_trigger", BatchMap.init).values[e.runId] {
                try history.insert(time: e.timestamp, sequence: event.sequence, dataclipId: final, context) {
                    $0.appendPart(trigger)
                }
            } else if let trigger = try context.get(Self.runTrigger, e.runId.bytes) {
                try history.insert(time: e.timestamp, sequence: event.sequence, dataclipId: final, context) {
                    $0.append(bytes: trigger)
                    $0.appendByte(0)
                }
            }
        case .dataclipWiped(let e):
            try history.remove(dataclipId: e.dataclipId, context)
        default:
            break
        }
    }
}
