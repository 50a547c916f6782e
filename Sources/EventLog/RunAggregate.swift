/// A run as its own stream tells it: the state the lifecycle rules check and
/// what `runs show` prints. Built by folding the run's events in order.
public struct RunAggregate: Sendable, Equatable {
    public var runId: String
    public var workflowId: String
    public var projectId: String
    public var lockVersion: UInt32
    public var startingTriggerId: String?
    public var inputDataclipId: String
    public var state: RunState
    public var workerName: String?
    public var createdAt: Timestamp
    public var claimedAt: Timestamp?
    public var startedAt: Timestamp?
    public var finishedAt: Timestamp?
    public var finalDataclipId: String?
    public var errorType: String?
    public var errorMessage: String?
    /// Steps in the order they started.
    public var steps: [StepRecord]
    /// How many events the stream holds.
    public var version: UInt32
    /// The latest webhook response a step of the run gave, if any
    /// (`StepCompleted.webhookResponse`).
    public var webhookResponse: [UInt8]?

    public func step(_ id: String) -> StepRecord? { steps.first { $0.id == id } }

    /// A run as stored elsewhere (a projection), field by field.
    public init(
        runId: String, workflowId: String, projectId: String, lockVersion: UInt32, startingTriggerId: String?,
        inputDataclipId: String, state: RunState, workerName: String?, createdAt: Timestamp, claimedAt: Timestamp?,
        startedAt: Timestamp?, finishedAt: Timestamp?, finalDataclipId: String?, errorType: String?,
        errorMessage: String?, steps: [StepRecord], version: UInt32, webhookResponse: [UInt8]? = nil
    ) {
        self.webhookResponse = webhookResponse
        self.runId = runId
        self.workflowId = workflowId
        self.projectId = projectId
        self.lockVersion = lockVersion
        self.startingTriggerId = startingTriggerId
        self.inputDataclipId = inputDataclipId
        self.state = state
        self.workerName = workerName
        self.createdAt = createdAt
        self.claimedAt = claimedAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.finalDataclipId = finalDataclipId
        self.errorType = errorType
        self.errorMessage = errorMessage
        self.steps = steps
        self.version = version
    }

    /// Starts the fold from the stream's first event, which must be `run:created`.
    public init?(_ first: RecordedEvent) {
        guard case .runCreated(let e) = first.event else { return nil }
        runId = e.runId
        workflowId = e.workflowId
        projectId = e.projectId
        lockVersion = e.lockVersion
        startingTriggerId = e.startingTriggerId
        inputDataclipId = e.inputDataclipId
        state = .available
        createdAt = e.timestamp
        steps = []
        version = first.streamVersion
    }

    public mutating func apply(_ recorded: RecordedEvent) {
        version = recorded.streamVersion
        switch recorded.event {
        case .runClaimed(let e):
            state = .claimed
            workerName = e.workerName
            claimedAt = e.timestamp
        case .runStarted(let e):
            state = .started
            startedAt = e.timestamp
        case .stepStarted(let e):
            steps.append(
                StepRecord(id: e.stepId, jobId: e.jobId, inputDataclipId: e.inputDataclipId, startedAt: e.timestamp))
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
        case .runCreated, .runLogged, .projectConfigured, .workflowPublished, .dataclipWiped, .scheduleTicked,
            .tokenCreated, .tokenRevoked:
            break
        }
    }
}

/// One step of a run.
public struct StepRecord: Sendable, Equatable {
    public var id: String
    public var jobId: String
    public var inputDataclipId: String?
    public var outputDataclipId: String?
    public var exitReason: StepExitReason?
    public var errorType: String?
    public var errorMessage: String?
    public var startedAt: Timestamp
    public var finishedAt: Timestamp?

    public init(
        id: String, jobId: String, inputDataclipId: String? = nil, outputDataclipId: String? = nil,
        exitReason: StepExitReason? = nil, errorType: String? = nil, errorMessage: String? = nil,
        startedAt: Timestamp, finishedAt: Timestamp? = nil
    ) {
        self.id = id
        self.jobId = jobId
        self.inputDataclipId = inputDataclipId
        self.outputDataclipId = outputDataclipId
        self.exitReason = exitReason
        self.errorType = errorType
        self.errorMessage = errorMessage
        self.startedAt = startedAt
        self.finishedAt = finishedAt
    }

    public var isComplete: Bool { exitReason != nil }
}
