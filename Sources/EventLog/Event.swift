/// A fact about projects, workflows, runs or dataclips, as stored in the log.
/// Events are immutable and named in the past tense; each payload carries
/// what was resolved when it was accepted (the run's project, the snapshot
/// it runs against, the id of a dataclip it created), so projections never
/// need to look anything up. The wire names are the worker protocol's.
public enum Event: Sendable, Equatable {
    case projectConfigured(ProjectConfigured)
    case workflowPublished(WorkflowPublished)
    case runCreated(RunCreated)
    case runClaimed(RunClaimed)
    case runStarted(RunStarted)
    case stepStarted(StepStarted)
    case stepCompleted(StepCompleted)
    case runCompleted(RunCompleted)
    case runLogged(RunLogged)
    case dataclipWiped(DataclipWiped)
    case runLost(RunLost)
    case runCancelled(RunCancelled)
    case scheduleTicked(ScheduleTicked)
    case tokenCreated(TokenCreated)
    case tokenRevoked(TokenRevoked)

    /// The protocol name (`run:start`, `step:complete`, ...).
    public var name: String { kind.rawValue }

    public var kind: EventKind {
        switch self {
        case .projectConfigured: return .projectConfigured
        case .workflowPublished: return .workflowPublished
        case .runCreated: return .runCreated
        case .runClaimed: return .runClaimed
        case .runStarted: return .runStarted
        case .stepStarted: return .stepStarted
        case .stepCompleted: return .stepCompleted
        case .runCompleted: return .runCompleted
        case .runLogged: return .runLogged
        case .dataclipWiped: return .dataclipWiped
        case .runLost: return .runLost
        case .runCancelled: return .runCancelled
        case .scheduleTicked: return .scheduleTicked
        case .tokenCreated: return .tokenCreated
        case .tokenRevoked: return .tokenRevoked
        }
    }

    /// The run the event is about, if any.
    public var runId: String? {
        switch self {
        case .runCreated(let e): return e.runId
        case .runClaimed(let e): return e.runId
        case .runStarted(let e): return e.runId
        case .stepStarted(let e): return e.runId
        case .stepCompleted(let e): return e.runId
        case .runCompleted(let e): return e.runId
        case .runLogged(let e): return e.runId
        case .runLost(let e): return e.runId
        case .runCancelled(let e): return e.runId
        case .projectConfigured, .workflowPublished, .dataclipWiped, .scheduleTicked, .tokenCreated, .tokenRevoked:
            return nil
        }
    }

    /// The stream the event belongs to: one run, project, workflow or dataclip.
    public var stream: String {
        switch self {
        case .projectConfigured(let e): return "project:" + e.projectId
        case .workflowPublished(let e): return "workflow:" + e.workflowId
        case .runCreated(let e): return "run:" + e.runId
        case .runClaimed(let e): return "run:" + e.runId
        case .runStarted(let e): return "run:" + e.runId
        case .stepStarted(let e): return "run:" + e.runId
        case .stepCompleted(let e): return "run:" + e.runId
        case .runCompleted(let e): return "run:" + e.runId
        case .runLogged(let e): return "run:" + e.runId
        case .runLost(let e): return "run:" + e.runId
        case .runCancelled(let e): return "run:" + e.runId
        case .dataclipWiped(let e): return "dataclip:" + e.dataclipId
        case .scheduleTicked: return "scheduler"
        case .tokenCreated(let e): return "token:" + e.tokenId
        case .tokenRevoked(let e): return "token:" + e.tokenId
        }
    }
}

/// Event names on the wire, with the type tag used by the binary codec.
/// Tags are part of the storage format: never reuse or renumber one.
public enum EventKind: String, Sendable, CaseIterable {
    case projectConfigured = "project:configured"
    case workflowPublished = "workflow:published"
    case runCreated = "run:created"
    case runClaimed = "run:claimed"
    case runStarted = "run:start"
    case stepStarted = "step:start"
    case stepCompleted = "step:complete"
    case runCompleted = "run:complete"
    case runLogged = "run:log"
    case dataclipWiped = "dataclip:wiped"
    case runLost = "run:lost"
    case runCancelled = "run:cancelled"
    case scheduleTicked = "schedule:ticked"
    case tokenCreated = "token:created"
    case tokenRevoked = "token:revoked"

    var tag: UInt8 {
        switch self {
        case .projectConfigured: return 1
        case .workflowPublished: return 2
        case .runCreated: return 3
        case .runClaimed: return 4
        case .runStarted: return 5
        case .stepStarted: return 6
        case .stepCompleted: return 7
        case .runCompleted: return 8
        case .runLogged: return 9
        case .dataclipWiped: return 10
        case .runLost: return 11
        case .runCancelled: return 12
        case .scheduleTicked: return 13
        case .tokenCreated: return 14
        case .tokenRevoked: return 15
        }
    }

    init?(tag: UInt8) {
        guard Int(tag) < Self.byTag.count, let kind = Self.byTag[Int(tag)] else { return nil }
        self = kind
    }

    private static let byTag: [EventKind?] = {
        var table = [EventKind?](repeating: nil, count: Int(EventKind.allCases.map(\.tag).max()!) + 1)
        for kind in EventKind.allCases { table[Int(kind.tag)] = kind }
        return table
    }()
}

/// A set of event kinds, one bit each: asked at every event of a replay,
/// where hashing a `Set` would cost more than the answer.
public struct EventKinds: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public init(_ kinds: EventKind...) {
        rawValue = kinds.reduce(0) { $0 | 1 << UInt32($1.tag) }
    }

    public static let all = EventKinds(rawValue: EventKind.allCases.reduce(0) { $0 | 1 << UInt32($1.tag) })

    @inline(__always)
    public func includes(_ kind: EventKind) -> Bool { rawValue & 1 << UInt32(kind.tag) != 0 }
}

public struct ProjectConfigured: Sendable, Equatable {
    public var projectId: String
    public var name: String?
    public var retention: Retention
    public init(projectId: String, name: String?, retention: Retention) {
        self.projectId = projectId
        self.name = name
        self.retention = retention
    }
}

/// A workflow snapshot became the latest. Carries the snapshot whole (so the
/// `snapshots` database can be rebuilt from the log) and the parts the log
/// and the projections read without decoding it.
public struct WorkflowPublished: Sendable, Equatable {
    public var workflowId: String
    public var projectId: String
    public var lockVersion: UInt32
    public var deleted: Bool
    public var jobIds: [String]
    public var triggers: [TriggerSummary]
    /// The whole workflow, canonical JSON, as the `Workflows` module wrote it.
    public var document: [UInt8]
    public var timestamp: Timestamp
    /// Who published it (schema 2 on; `nil` in events recorded before, and
    /// in the `snapshots` table, which keeps the workflow, not the audit).
    public var actor: AuditActor?

    public init(
        workflowId: String, projectId: String, lockVersion: UInt32, deleted: Bool, jobIds: [String],
        triggers: [TriggerSummary], document: [UInt8], timestamp: Timestamp, actor: AuditActor? = nil
    ) {
        self.actor = actor
        self.workflowId = workflowId
        self.projectId = projectId
        self.lockVersion = lockVersion
        self.deleted = deleted
        self.jobIds = jobIds
        self.triggers = triggers
        self.document = document
        self.timestamp = timestamp
    }
}

extension WorkflowPublished {
    /// The workflow as the `snapshots` table keeps it: without who published it.
    var withoutActor: WorkflowPublished {
        var copy = self
        copy.actor = nil
        return copy
    }
}

/// What the log and the scheduler need to know of a trigger.
public struct TriggerSummary: Sendable, Equatable, Hashable {
    public var id: String
    public var type: String
    public var enabled: Bool
    public var cronExpression: String?
    public var cronCursorJobId: String?
    public var timezone: String?
    public var cronDayMatch: String?

    public init(
        id: String, type: String, enabled: Bool, cronExpression: String? = nil, cronCursorJobId: String? = nil,
        timezone: String? = nil, cronDayMatch: String? = nil
    ) {
        self.id = id
        self.type = type
        self.enabled = enabled
        self.cronExpression = cronExpression
        self.cronCursorJobId = cronCursorJobId
        self.timezone = timezone
        self.cronDayMatch = cronDayMatch
    }
}

public struct RunCreated: Sendable, Equatable {
    public var runId: String
    public var workflowId: String
    public var projectId: String
    public var lockVersion: UInt32
    public var startingTriggerId: String?
    public var inputDataclipId: String
    /// Whether this event created the input dataclip (else it reused one).
    public var createdInput: Bool
    /// For a run the scheduler started: the cron minute it was started for.
    public var scheduledFor: Timestamp?
    public var timestamp: Timestamp
}

public struct RunClaimed: Sendable, Equatable {
    public var runId: String
    public var workerName: String?
    public var timestamp: Timestamp
}

public struct RunStarted: Sendable, Equatable {
    public var runId: String
    public var timestamp: Timestamp
}

public struct StepStarted: Sendable, Equatable {
    public var runId: String
    public var stepId: String
    public var jobId: String
    public var inputDataclipId: String?
    public var timestamp: Timestamp
}

public struct StepCompleted: Sendable, Equatable {
    public var runId: String
    public var stepId: String
    public var jobId: String
    public var reason: StepExitReason
    public var errorType: String?
    public var errorMessage: String?
    public var outputDataclipId: String?
    /// Whether the output had no body when recorded (`erase_all`, or a reused wiped dataclip).
    public var outputWiped: Bool
    /// Whether the output was created by an event of this run (this one,
    /// most often). A wipe of it then finds this use by reading the run's
    /// stream (`Dataclip.origin`), and the cursor projections index by
    /// dataclip only the uses where this is false. Schema version 2; false
    /// in events recorded before.
    public var outputFromThisRun: Bool = false
    public var mem: Int64?
    public var duration: Int64?
    public var timestamp: Timestamp
    /// What the job asked a waiting webhook caller to be answered (any
    /// JSON, as text; `{"status", "body"}` chooses both): an
    /// `after_completion` webhook replies with the run's latest one instead
    /// of its final state. Schema version 3; none before.
    public var webhookResponse: [UInt8]? = nil
}

public struct RunCompleted: Sendable, Equatable {
    public var runId: String
    public var state: RunState
    public var errorType: String?
    public var errorMessage: String?
    public var finalDataclipId: String?
    /// Whether this event created the final dataclip from `final_state`.
    public var createdFinalDataclip: Bool
    /// Whether the final dataclip had no body when recorded.
    public var finalWiped: Bool
    /// Whether the final dataclip was created by an event of this run: by
    /// this one (`final_state`), or as the output of one of its steps (a
    /// single-leaf workflow's `final_dataclip_id`). See
    /// `StepCompleted.outputFromThisRun`. Schema version 2.
    public var finalFromThisRun: Bool = false
    public var timestamp: Timestamp
}

public struct RunLogged: Sendable, Equatable {
    public var runId: String
    public var stepId: String?
    public var level: String
    public var source: String?
    public var message: String
    public var timestamp: Timestamp
}

public struct DataclipWiped: Sendable, Equatable {
    public var dataclipId: String
    public var timestamp: Timestamp
}

public struct RunLost: Sendable, Equatable {
    public var runId: String
    public var timestamp: Timestamp
}

public struct RunCancelled: Sendable, Equatable {
    public var runId: String
    public var timestamp: Timestamp
}

/// The scheduler considered every cron minute up to and including `minute`:
/// the cron index moves each trigger due by then to its next fire time.
public struct ScheduleTicked: Sendable, Equatable {
    public var minute: Timestamp
    public init(minute: Timestamp) { self.minute = minute }
}

/// An event as the log holds it.
public struct RecordedEvent: Sendable, Equatable {
    public let id: EventID
    /// Position in the global log, from 1, dense.
    public let sequence: UInt64
    /// Position in its stream, from 1, dense.
    public let streamVersion: UInt32
    /// When the log accepted it.
    public let recordedAt: Timestamp
    public let event: Event

    public init(id: EventID, sequence: UInt64, streamVersion: UInt32, recordedAt: Timestamp, event: Event) {
        self.id = id
        self.sequence = sequence
        self.streamVersion = streamVersion
        self.recordedAt = recordedAt
        self.event = event
    }

    /// The stream is a function of the event (`Event.stream`): the codec
    /// stores it for readers of the raw log but never builds it back.
    public var stream: String { event.stream }
}
