public import JSON
public import Cron

/// A workflow definition (docs/semantics.md): jobs, triggers, the edges between
/// them, and editor positions. Plain values; `WorkflowValidator` says whether
/// one may be published, `WorkflowJSON` reads and writes it.
public struct Workflow: Sendable, Equatable {
    public var id: String
    public var projectId: String
    public var name: String
    /// The snapshot version; 0 for a draft never published.
    public var lockVersion: Int
    public var deletedAt: String?
    public var concurrency: Int?
    public var enableJobLogs: Bool
    public var jobs: [Job]
    public var triggers: [Trigger]
    public var edges: [Edge]
    /// Editor positions, node id → {x, y}; kept as given.
    public var positions: JSONValue?

    public init(
        id: String, projectId: String, name: String, lockVersion: Int = 0, deletedAt: String? = nil,
        concurrency: Int? = nil, enableJobLogs: Bool = true, jobs: [Job] = [], triggers: [Trigger] = [],
        edges: [Edge] = [], positions: JSONValue? = nil
    ) {
        self.id = id
        self.projectId = projectId
        self.name = name
        self.lockVersion = lockVersion
        self.deletedAt = deletedAt
        self.concurrency = concurrency
        self.enableJobLogs = enableJobLogs
        self.jobs = jobs
        self.triggers = triggers
        self.edges = edges
        self.positions = positions
    }

    public func job(_ id: String) -> Job? { jobs.first { $0.id == id } }
    public func trigger(_ id: String) -> Trigger? { triggers.first { $0.id == id } }
}

public struct Job: Sendable, Equatable {
    public var id: String
    public var name: String
    public var body: String
    public var adaptor: String?
    public var projectCredentialId: String?
    public var keychainCredentialId: String?

    public init(
        id: String, name: String, body: String = "", adaptor: String? = nil, projectCredentialId: String? = nil,
        keychainCredentialId: String? = nil
    ) {
        self.id = id
        self.name = name
        self.body = body
        self.adaptor = adaptor
        self.projectCredentialId = projectCredentialId
        self.keychainCredentialId = keychainCredentialId
    }
}

public enum TriggerType: String, Sendable, CaseIterable {
    case webhook, cron, kafka
}

public struct Trigger: Sendable, Equatable {
    /// The expression a cron trigger without one gets (docs/semantics.md).
    public static let defaultCronExpression = "0 0 * * *"

    public var id: String
    public var type: TriggerType
    public var enabled: Bool
    public var cronExpression: String?
    /// The job whose latest successful output feeds the next cron run; `nil`
    /// means the trigger's own latest successful final state (§4.4).
    public var cronCursorJobId: String?
    public var webhookReply: String?
    public var kafkaConfiguration: JSONValue?
    /// IANA zone the cron fields are read in (default UTC). Beyond the reference platform.
    public var timezone: String?
    /// How the two day fields combine (default `any`). Beyond the reference platform.
    public var cronDayMatch: DayMatch?

    public init(
        id: String, type: TriggerType, enabled: Bool = true, cronExpression: String? = nil,
        cronCursorJobId: String? = nil, webhookReply: String? = nil, kafkaConfiguration: JSONValue? = nil,
        timezone: String? = nil, cronDayMatch: DayMatch? = nil
    ) {
        self.id = id
        self.type = type
        self.enabled = enabled
        self.cronExpression = cronExpression
        self.cronCursorJobId = cronCursorJobId
        self.webhookReply = webhookReply
        self.kafkaConfiguration = kafkaConfiguration
        self.timezone = timezone
        self.cronDayMatch = cronDayMatch
    }
}

public enum EdgeCondition: String, Sendable, CaseIterable {
    case always
    case onJobSuccess = "on_job_success"
    case onJobFailure = "on_job_failure"
    case jsExpression = "js_expression"
}

public struct Edge: Sendable, Equatable {
    public var id: String
    public var sourceTriggerId: String?
    public var sourceJobId: String?
    public var targetJobId: String
    public var conditionType: EdgeCondition
    public var conditionExpression: String?
    public var conditionLabel: String?
    public var enabled: Bool

    public init(
        id: String, sourceTriggerId: String? = nil, sourceJobId: String? = nil, targetJobId: String,
        conditionType: EdgeCondition? = nil, conditionExpression: String? = nil, conditionLabel: String? = nil,
        enabled: Bool = true
    ) {
        self.id = id
        self.sourceTriggerId = sourceTriggerId
        self.sourceJobId = sourceJobId
        self.targetJobId = targetJobId
        self.conditionType = conditionType ?? (sourceTriggerId != nil ? .always : .onJobSuccess)
        self.conditionExpression = conditionExpression
        self.conditionLabel = conditionLabel
        self.enabled = enabled
    }
}
