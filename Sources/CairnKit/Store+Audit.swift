public import EventLog
public import JSON

/// One line of the audit trail: who changed a workflow or a token, and when.
public struct AuditEntry: Sendable, Equatable {
    public let sequence: UInt64
    public let at: Timestamp
    /// `workflow:published`, `token:created` or `token:revoked`.
    public let action: String
    /// Who did it; `nil` for publishes recorded before the log kept it.
    public let actor: AuditActor?
    public let projectId: String
    /// The workflow (with its lock_version) or the token acted on.
    public let subject: String
    public let detail: String?

    init?(_ recorded: RecordedEvent) {
        sequence = recorded.sequence
        at = recorded.recordedAt
        action = recorded.event.name
        switch recorded.event {
        case .workflowPublished(let e):
            actor = e.actor
            projectId = e.projectId
            subject = e.workflowId
            detail = "lock_version \(e.lockVersion)" + (e.deleted ? " (deleted)" : "")
        case .tokenCreated(let e):
            actor = e.actor
            projectId = e.projectId
            subject = e.tokenId
            detail = "role \(e.role.rawValue)" + (e.name.map { ", name \($0)" } ?? "")
                + (e.expiresAt.map { ", expires \($0.iso8601)" } ?? "")
        case .tokenRevoked(let e):
            actor = e.actor
            projectId = e.projectId
            subject = e.tokenId
            detail = nil
        default:
            return nil
        }
    }

    public var json: JSONValue {
        .object([
            ("sequence", .number(Int64(sequence))), ("at", .string(at.iso8601)), ("action", .string(action)),
            ("actor", actor.map { .object([("token_id", $0.tokenId.map(JSONValue.string) ?? .null), ("name", .string($0.name))]) } ?? .null),
            ("project_id", .string(projectId)), ("subject", .string(subject)), ("detail", detail.map(JSONValue.string) ?? .null),
        ])
    }
}

extension Store {
    /// Who published, created or revoked what, in log order (only the
    /// publishes of `workflowId` when given).
    public func audit(workflowId: String? = nil) throws -> [AuditEntry] {
        try log.auditEvents(workflowId: workflowId).compactMap(AuditEntry.init)
    }
}
