public import Encoding

/// What an API token may do within its project (docs/http.md, "Tokens and
/// roles"). Each role may do everything the ones before it may.
public enum Role: String, Sendable, CaseIterable, Comparable {
    /// Reads the project's runs, dataclips, triggers and workflows.
    case viewer
    /// Also creates, claims and reports runs.
    case worker
    /// Also syncs documents and publishes workflows.
    case editor

    var code: UInt8 {
        switch self {
        case .viewer: return 1
        case .worker: return 2
        case .editor: return 3
        }
    }

    init?(code: UInt8) {
        guard let role = Self.allCases.first(where: { $0.code == code }) else { return nil }
        self = role
    }

    public static func < (a: Role, b: Role) -> Bool { a.code < b.code }
}

/// Who asked for a change the audit trail records: a token of the API, or
/// an operator at the command line (no token: the operating-system user).
public struct AuditActor: Sendable, Equatable, Hashable {
    /// The token's id; `nil` for an operator at the command line.
    public var tokenId: String?
    /// The token's name, or `cli:<user>` for an operator.
    public var name: String

    public init(tokenId: String?, name: String) {
        self.tokenId = tokenId
        self.name = name
    }

    func write(into w: inout ByteWriter) {
        w.writeOptional(tokenId)
        w.writeVarString(name)
    }

    static func read(_ r: inout BorrowedReader) throws -> AuditActor {
        let tokenId: String? = try r.readBool() ? try r.readVarString() : nil
        return AuditActor(tokenId: tokenId, name: try r.readVarString())
    }
}

/// A token was made. The log keeps the SHA-256 of its secret, never the
/// secret, so the `tokens` table can be rebuilt from the log; a hash of 256
/// random bits gives nobody the secret back.
public struct TokenCreated: Sendable, Equatable {
    public var tokenId: String
    public var projectId: String
    public var role: Role
    public var name: String?
    public var secretHash: [UInt8]
    public var expiresAt: Timestamp?
    public var actor: AuditActor
    public var timestamp: Timestamp

    public init(
        tokenId: String, projectId: String, role: Role, name: String?, secretHash: [UInt8], expiresAt: Timestamp?,
        actor: AuditActor, timestamp: Timestamp
    ) {
        self.tokenId = tokenId
        self.projectId = projectId
        self.role = role
        self.name = name
        self.secretHash = secretHash
        self.expiresAt = expiresAt
        self.actor = actor
        self.timestamp = timestamp
    }
}

/// A token was revoked: from this event on, it authenticates nobody.
public struct TokenRevoked: Sendable, Equatable {
    public var tokenId: String
    /// The token's project, so the audit trail reads without the table.
    public var projectId: String
    public var actor: AuditActor
    public var timestamp: Timestamp

    public init(tokenId: String, projectId: String, actor: AuditActor, timestamp: Timestamp) {
        self.tokenId = tokenId
        self.projectId = projectId
        self.actor = actor
        self.timestamp = timestamp
    }
}

/// A token as the `tokens` table holds it (never its secret).
public struct StoredToken: Sendable, Equatable {
    public var id: String
    public var projectId: String
    public var role: Role
    public var name: String?
    public var secretHash: [UInt8]
    public var createdAt: Timestamp
    public var expiresAt: Timestamp?
    public var revokedAt: Timestamp?

    init(_ created: TokenCreated) {
        id = created.tokenId
        projectId = created.projectId
        role = created.role
        name = created.name
        secretHash = created.secretHash
        createdAt = created.timestamp
        expiresAt = created.expiresAt
        revokedAt = nil
    }

    /// Whether it authenticates requests at `now`.
    public func isUsable(at now: Timestamp) -> Bool {
        revokedAt == nil && (expiresAt.map { now < $0 } ?? true)
    }

    /// Record layout 1: u8 1 · varstring id · varstring project · u8 role ·
    /// optional name · 32 bytes hash · varint created · optional expires ·
    /// optional revoked.
    func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: 96)
        w.writeUInt8(1)
        w.writeVarString(id)
        w.writeVarString(projectId)
        w.writeUInt8(role.code)
        w.writeOptional(name)
        w.writeBytes(secretHash)
        w.writeVarInt(createdAt.microseconds)
        w.writeOptional(expiresAt?.microseconds)
        w.writeOptional(revokedAt?.microseconds)
        return w.bytes
    }

    static func decode(_ bytes: [UInt8]) throws -> StoredToken {
        var r = ByteReader(bytes)
        do {
            guard try r.readUInt8() == 1 else { throw EventLogError.storage("a token record of an unknown layout") }
            let id = try r.readVarString()
            let project = try r.readVarString()
            let code = try r.readUInt8()
            guard let role = Role(code: code) else { throw EventLogError.storage("token \(id) has unknown role \(code)") }
            let name = try r.readOptionalString()
            let hash = Array(try r.readBytes(32))
            // 64-bit, as written (lib0's reader stops at 2^53: years before 1685 or after 2255).
            let created = Timestamp(microseconds: try r.readVarInt64())
            var token = StoredToken(TokenCreated(
                tokenId: id, projectId: project, role: role, name: name, secretHash: hash,
                expiresAt: try r.readOptionalInt().map(Timestamp.init(microseconds:)),
                actor: AuditActor(tokenId: nil, name: ""), timestamp: created))
            token.revokedAt = try r.readOptionalInt().map(Timestamp.init(microseconds:))
            return token
        } catch let error as ByteDecodingError {
            throw EventLogError.storage("a token record is damaged: \(error)")
        }
    }
}

/// Asks the log to record a new token (`token:created`).
public struct CreateToken: Sendable {
    public var tokenId: String
    public var projectId: String
    public var role: Role
    public var name: String?
    /// SHA-256 of the secret (32 bytes).
    public var secretHash: [UInt8]
    public var expiresAt: Timestamp?
    public var actor: AuditActor

    public init(
        tokenId: String, projectId: String, role: Role, name: String?, secretHash: [UInt8], expiresAt: Timestamp?,
        actor: AuditActor
    ) {
        self.tokenId = tokenId
        self.projectId = projectId
        self.role = role
        self.name = name
        self.secretHash = secretHash
        self.expiresAt = expiresAt
        self.actor = actor
    }
}
