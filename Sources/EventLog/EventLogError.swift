/// Why an event was refused. Every case names the payload field at fault
/// (`field`), so `ingest` can print `line N: <event>: <field>: <message>`.
/// A refused event writes nothing.
public enum EventLogError: Error, Equatable, Sendable, CustomStringConvertible {
    case badJSON(String)
    case unknownEventType(String)
    case missingField(String)
    case wrongType(field: String, expected: String, found: String)
    case invalidValue(field: String, reason: String)
    case unknownProject(String)
    case unknownWorkflow(String)
    case workflowDeleted(String)
    case unknownSnapshot(workflowId: String, lockVersion: UInt32)
    case unknownTrigger(String, workflowId: String, lockVersion: UInt32)
    case unknownRun(String)
    case runExists(String)
    case unknownJob(String, workflowId: String, lockVersion: UInt32)
    case stepExists(String)
    case stepNotStarted(String)
    case stepAlreadyCompleted(String)
    case stepJobMismatch(stepId: String, started: String, given: String)
    case stepOfAnotherRun(stepId: String, runId: String)
    case illegalTransition(runId: String, from: RunState, event: String)
    case dataclipNotFound(field: String, id: String)
    case dataclipOfAnotherProject(field: String, id: String)
    case dataclipExists(field: String, id: String)
    case dataclipAlreadyWiped(String)
    case outputPairIncomplete(missing: String)
    case versionConflict(stream: String, expected: UInt32, actual: UInt32)
    /// A publish names a job, trigger or edge id (at `field`, `triggers[0].id`)
    /// that belongs to another workflow: `owner`, or `nil` when that
    /// workflow is of another project (not named to the publisher).
    case idOfAnotherWorkflow(field: String, id: String, owner: String?)
    case notAcceptedFromWorkers(String)
    /// The event id is already the id of an event of another run (or of no
    /// run): an id is an idempotency key within its run, so this event is
    /// not that one, and is not answered as its duplicate.
    case idOfAnotherRun(String)
    /// A publisher restricted to its project (`PublishRequest.accessCheck`)
    /// may not publish this workflow: `reason` says why, in words that name
    /// no other project.
    case workflowOfAnotherProject(String, reason: String)
    case storage(String)

    /// The payload field the error is about (`event` for the line as a whole).
    public var field: String {
        switch self {
        case .badJSON, .unknownEventType, .notAcceptedFromWorkers: return "event"
        case .missingField(let f): return f
        case .wrongType(let f, _, _), .invalidValue(let f, _): return f
        case .unknownProject: return "project_id"
        case .unknownWorkflow, .workflowDeleted: return "workflow_id"
        case .unknownSnapshot: return "lock_version"
        case .unknownTrigger: return "starting_trigger_id"
        case .unknownRun, .runExists, .illegalTransition: return "run_id"
        case .unknownJob, .stepJobMismatch: return "job_id"
        case .stepExists, .stepNotStarted, .stepAlreadyCompleted, .stepOfAnotherRun: return "step_id"
        case .dataclipNotFound(let f, _), .dataclipOfAnotherProject(let f, _), .dataclipExists(let f, _): return f
        case .idOfAnotherWorkflow(let f, _, _): return f
        case .dataclipAlreadyWiped: return "dataclip_id"
        case .outputPairIncomplete(let missing): return missing
        case .versionConflict: return "expected_version"
        case .storage: return "event"
        case .idOfAnotherRun, .workflowOfAnotherProject: return "id"
        }
    }

    /// The message without the field name.
    public var message: String {
        switch self {
        case .badJSON(let why): return why
        case .unknownEventType(let name): return "unknown event type '\(name)'"
        case .missingField: return "is required"
        case let .wrongType(_, expected, found): return "must be \(expected), found \(found)"
        case let .invalidValue(_, reason): return reason
        case .unknownProject(let id): return "project \(id) does not exist"
        case .unknownWorkflow(let id): return "workflow \(id) does not exist (publish it first)"
        case .workflowDeleted(let id): return "workflow \(id) is deleted"
        case let .unknownSnapshot(w, v): return "workflow \(w) has no snapshot with lock_version \(v)"
        case let .unknownTrigger(t, w, v): return "trigger \(t) is not in workflow \(w) at lock_version \(v)"
        case .unknownRun(let id): return "run \(id) does not exist"
        case .runExists(let id): return "run \(id) already exists"
        case let .unknownJob(j, w, v): return "job \(j) is not in workflow \(w) at lock_version \(v)"
        case .stepExists(let id): return "step \(id) was already started"
        case .stepNotStarted(let id): return "step \(id) was never started"
        case .stepAlreadyCompleted(let id): return "step \(id) is already complete"
        case let .stepJobMismatch(s, started, given): return "step \(s) runs job \(started), not \(given)"
        case let .stepOfAnotherRun(s, r): return "step \(s) belongs to run \(r)"
        case let .illegalTransition(r, from, event):
            if from.isFinal { return "run \(r) is already final (\(from.rawValue)); \(event) is not allowed" }
            return "run \(r) is \(from.rawValue); \(event) is not allowed from that state"
        case .dataclipNotFound(let f, _) where f == "final_dataclip_id": return "final_dataclip_id does not exist"
        case let .dataclipNotFound(_, id): return "dataclip \(id) does not exist"
        case let .dataclipOfAnotherProject(_, id): return "dataclip \(id) belongs to another project"
        case let .dataclipExists(_, id): return "dataclip \(id) already exists"
        case .dataclipAlreadyWiped(let id): return "dataclip \(id) is already wiped"
        case .outputPairIncomplete:
            return "output_dataclip and output_dataclip_id must be given together"
        case let .versionConflict(stream, expected, actual):
            return "stream \(stream) is at version \(actual), expected \(expected)"
        case let .idOfAnotherWorkflow(_, id, owner):
            let whose = owner.map { "workflow \($0)" } ?? "a workflow of another project"
            return "\(id) belongs to \(whose) (job, trigger and edge ids are unique across workflows: a copy needs new ones)"
        case .notAcceptedFromWorkers(let name): return "\(name) is not accepted here"
        case let .workflowOfAnotherProject(id, reason): return "workflow \(id) may not be published by this project: \(reason)"
        case .storage(let why): return "storage failure: \(why)"
        case .idOfAnotherRun(let id):
            return "id \(id) already names an event of another run: give each event its own id (or none, to have one derived)"
        }
    }

    public var description: String { "\(field): \(message)" }
}
