public import JSON
public import LMDB

/// What a worker, the scheduler or an operator asks the log to record. The
/// log checks it against the current state and, if it is allowed, records
/// the resulting `Event` (with everything it resolved); otherwise it refuses
/// it with an `EventLogError` and writes nothing.
public enum Command: Sendable {
    case configureProject(projectId: String, name: String?, retention: Retention?)
    case publishWorkflow(PublishRequest)
    case createRun(CreateRun)
    case claimRun(runId: String, workerName: String?, timestamp: Timestamp?)
    case startRun(runId: String, timestamp: Timestamp?)
    case startStep(StartStep)
    case completeStep(CompleteStep)
    case completeRun(CompleteRun)
    case log(RunLogged, timestampGiven: Bool)
    case wipeDataclip(dataclipId: String, timestamp: Timestamp?)
    case markLost(runId: String, timestamp: Timestamp?)
    case cancelRun(runId: String, timestamp: Timestamp?)
    /// The scheduler considered every minute up to `minute` (Cairn's own).
    case tick(minute: Timestamp)
    /// An operator made an API token (its secret's hash only).
    case createToken(CreateToken)
    /// An operator revoked an API token.
    case revokeToken(tokenId: String, actor: AuditActor)

    /// The event name it records.
    public var eventName: String {
        switch self {
        case .configureProject: return EventKind.projectConfigured.rawValue
        case .publishWorkflow: return EventKind.workflowPublished.rawValue
        case .createRun: return EventKind.runCreated.rawValue
        case .claimRun: return EventKind.runClaimed.rawValue
        case .startRun: return EventKind.runStarted.rawValue
        case .startStep: return EventKind.stepStarted.rawValue
        case .completeStep: return EventKind.stepCompleted.rawValue
        case .completeRun: return EventKind.runCompleted.rawValue
        case .log: return EventKind.runLogged.rawValue
        case .wipeDataclip: return EventKind.dataclipWiped.rawValue
        case .markLost: return EventKind.runLost.rawValue
        case .cancelRun: return EventKind.runCancelled.rawValue
        case .tick: return EventKind.scheduleTicked.rawValue
        case .createToken: return EventKind.tokenCreated.rawValue
        case .revokeToken: return EventKind.tokenRevoked.rawValue
        }
    }
}

/// A new dataclip given inline (`input: {"type": ..., "body": {...}}`).
public struct NewDataclip: Sendable {
    public var type: DataclipType
    /// The body as JSON text.
    public var body: [UInt8]
    public init(type: DataclipType, body: [UInt8]) {
        self.type = type
        self.body = body
    }
}

public struct PublishRequest: Sendable {
    public var workflowId: String
    public var projectId: String
    public var deleted: Bool
    public var jobIds: [String]
    public var triggers: [TriggerSummary]
    /// The workflow's edge ids: the event does not carry them (the document
    /// does), but they are the workflow's own like its job and trigger ids.
    public var edgeIds: [String]
    /// Canonical JSON of the workflow without its lock_version: equal bytes mean equal content.
    public var content: [UInt8]
    /// Builds the stored document for a given lock_version.
    public var document: @Sendable (UInt32) -> [UInt8]
    /// Who publishes (the audit trail); `nil` when unknown.
    public var actor: AuditActor?
    /// The lock_version the change was made against (`nil`: any). A
    /// publish made against an older version is refused
    /// (`versionConflict`), so a change to one field of a version read a
    /// moment ago cannot revert what was published in between.
    public var basedOn: UInt32?
    /// For a publisher who may publish only its own project's workflows (a
    /// token): asked in the publish's own write transaction, before anything
    /// is written or found unchanged, with the project of the workflow's
    /// latest snapshot (`nil`: never published). Returns why the publisher
    /// may not publish it, or `nil`. A check made before the transaction may
    /// be stale by then: another project's first publish, or its first
    /// write of the workflow's document, can land in between
    /// (docs/http.md, "Documents"). Refused as
    /// `EventLogError.workflowOfAnotherProject`.
    public var accessCheck: (@Sendable (_ publishedProject: String?, _ txn: ReadTransaction) throws -> String?)?

    public init(
        workflowId: String, projectId: String, deleted: Bool, jobIds: [String], triggers: [TriggerSummary],
        edgeIds: [String] = [], content: [UInt8], document: @escaping @Sendable (UInt32) -> [UInt8],
        actor: AuditActor? = nil
    ) {
        self.actor = actor
        self.workflowId = workflowId
        self.projectId = projectId
        self.deleted = deleted
        self.jobIds = jobIds
        self.triggers = triggers
        self.edgeIds = edgeIds
        self.content = content
        self.document = document
    }
}

public struct CreateRun: Sendable {
    public var runId: String
    public var workflowId: String
    public var lockVersion: UInt32?
    public var startingTriggerId: String?
    public var inputDataclipId: String?
    public var input: NewDataclip?
    /// Set by the scheduler: the cron minute this run is for.
    public var scheduledFor: Timestamp?
    public var timestamp: Timestamp?

    public init(
        runId: String, workflowId: String, lockVersion: UInt32? = nil, startingTriggerId: String? = nil,
        inputDataclipId: String? = nil, input: NewDataclip? = nil, scheduledFor: Timestamp? = nil,
        timestamp: Timestamp? = nil
    ) {
        self.scheduledFor = scheduledFor
        self.runId = runId
        self.workflowId = workflowId
        self.lockVersion = lockVersion
        self.startingTriggerId = startingTriggerId
        self.inputDataclipId = inputDataclipId
        self.input = input
        self.timestamp = timestamp
    }
}

public struct StartStep: Sendable {
    public var runId: String
    public var stepId: String
    public var jobId: String
    public var inputDataclipId: String?
    public var timestamp: Timestamp?

    public init(runId: String, stepId: String, jobId: String, inputDataclipId: String? = nil, timestamp: Timestamp? = nil) {
        self.runId = runId
        self.stepId = stepId
        self.jobId = jobId
        self.inputDataclipId = inputDataclipId
        self.timestamp = timestamp
    }
}

public struct CompleteStep: Sendable {
    public var runId: String
    public var stepId: String
    public var jobId: String
    public var reason: StepExitReason
    public var errorType: String?
    public var errorMessage: String?
    public var outputDataclipId: String?
    /// The output body as JSON text.
    public var outputDataclip: [UInt8]?
    public var mem: Int64?
    public var duration: Int64?
    public var timestamp: Timestamp?
    /// JSON text for a waiting webhook caller (`StepCompleted.webhookResponse`).
    public var webhookResponse: [UInt8]?

    public init(
        runId: String, stepId: String, jobId: String, reason: StepExitReason, errorType: String? = nil,
        errorMessage: String? = nil, outputDataclipId: String? = nil, outputDataclip: [UInt8]? = nil,
        mem: Int64? = nil, duration: Int64? = nil, timestamp: Timestamp? = nil, webhookResponse: [UInt8]? = nil
    ) {
        self.webhookResponse = webhookResponse
        self.runId = runId
        self.stepId = stepId
        self.jobId = jobId
        self.reason = reason
        self.errorType = errorType
        self.errorMessage = errorMessage
        self.outputDataclipId = outputDataclipId
        self.outputDataclip = outputDataclip
        self.mem = mem
        self.duration = duration
        self.timestamp = timestamp
    }
}

public struct CompleteRun: Sendable {
    public var runId: String
    public var state: RunState
    public var errorType: String?
    public var errorMessage: String?
    public var finalDataclipId: String?
    public var finalState: JSONValue?
    public var timestamp: Timestamp?

    public init(
        runId: String, state: RunState, errorType: String? = nil, errorMessage: String? = nil,
        finalDataclipId: String? = nil, finalState: JSONValue? = nil, timestamp: Timestamp? = nil
    ) {
        self.runId = runId
        self.state = state
        self.errorType = errorType
        self.errorMessage = errorMessage
        self.finalDataclipId = finalDataclipId
        self.finalState = finalState
        self.timestamp = timestamp
    }
}

/// A command with its idempotency key and, optionally, the version its
/// stream must be at (optimistic concurrency).
extension Command {
    /// The run the command is about (its stream `run:<id>`), if any.
    public var runId: String? {
        switch self {
        case let .claimRun(runId, _, _), let .startRun(runId, _), let .markLost(runId, _), let .cancelRun(runId, _):
            return runId
        case .startStep(let c): return c.runId
        case .completeStep(let c): return c.runId
        case .completeRun(let c): return c.runId
        case .log(let entry, _): return entry.runId
        case .createRun(let c): return c.runId
        case .configureProject, .publishWorkflow, .wipeDataclip, .tick, .createToken, .revokeToken: return nil
        }
    }
}

public struct Submission: Sendable {
    public var id: EventID
    public var command: Command
    public var expectedVersion: UInt32?

    public init(id: EventID, command: Command, expectedVersion: UInt32? = nil) {
        self.id = id
        self.command = command
        self.expectedVersion = expectedVersion
    }
}

/// What became of one submission.
public enum AppendOutcome: Sendable, Equatable {
    /// Recorded at this global sequence.
    case appended(sequence: UInt64)
    /// Its id was already in the log at this sequence; nothing written.
    case duplicate(sequence: UInt64)
    /// A publish whose content equals the latest snapshot: nothing written.
    case unchanged(lockVersion: UInt32)
    case rejected(EventLogError)
}
