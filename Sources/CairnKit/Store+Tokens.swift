public import EventLog
import Foundation

/// A token just made: its secret exists only here, once (docs/http.md).
public struct IssuedToken: Sendable {
    public let token: StoredToken
    /// `cairn_` and 256 random bits, base64url without padding.
    public let secret: String
}

/// Why a request's credentials were refused (the `tokens_rejected` metric's
/// reasons, and the 401's message).
public enum TokenRejection: String, Sendable, Error, CustomStringConvertible {
    case missing, malformed, unknown, expired, revoked

    public var description: String {
        switch self {
        case .missing: return "a bearer token is required (Authorization: Bearer SECRET)"
        case .malformed: return "the Authorization header must be 'Bearer SECRET'"
        case .unknown: return "the token is not known"
        case .expired: return "the token has expired"
        case .revoked: return "the token was revoked"
        }
    }
}

public enum TokenError: Error, CustomStringConvertible, Equatable {
    case rejected(EventLogError)

    public var description: String {
        switch self {
        case .rejected(let error): return error.message
        }
    }
}

extension Store {
    /// Makes a token of `role` in `projectId`, recording `token:created`
    /// (with who made it) and the token's record in one transaction. Only
    /// the secret's SHA-256 is stored.
    public func createToken(
        projectId: String, role: Role, name: String? = nil, expiresAt: Timestamp? = nil, actor: AuditActor
    ) throws -> IssuedToken {
        try createToken(projectId: projectId, role: role, name: name, expiresAt: expiresAt, actor: actor, secret: Self.newSecret())
    }

    /// `createToken` with a secret chosen by the caller: for tests, whose
    /// requests name their tokens (`Bearer t1`). Everything else is the same path.
    package func createToken(
        projectId: String, role: Role, name: String? = nil, expiresAt: Timestamp? = nil, actor: AuditActor, secret: String
    ) throws -> IssuedToken {
        let request = CreateToken(
            tokenId: Self.newTokenId(), projectId: projectId, role: role, name: name,
            secretHash: Self.hash(secret: secret), expiresAt: expiresAt, actor: actor)
        switch try append([Submission(id: .random(), command: .createToken(request))])[0] {
        case .appended, .duplicate, .unchanged:
            guard let token = try log.token(request.tokenId) else {
                throw StoreError.corrupted(what: "token \(request.tokenId) was recorded but has no record")
            }
            return IssuedToken(token: token, secret: secret)
        case .rejected(let error):
            throw TokenError.rejected(error)
        }
    }

    /// Revokes token `id` (`token:revoked`): every reader of the folder,
    /// a running service included, refuses it from the commit on.
    public func revokeToken(_ id: String, actor: AuditActor) throws -> StoredToken {
        switch try append([Submission(id: .random(), command: .revokeToken(tokenId: id, actor: actor))])[0] {
        case .appended, .duplicate, .unchanged:
            guard let token = try log.token(id) else { throw StoreError.corrupted(what: "token \(id) has no record") }
            return token
        case .rejected(let error):
            throw TokenError.rejected(error)
        }
    }

    /// The token a bearer secret stands for, if it may be used at `now`.
    public func authenticate(secret: String, at now: Timestamp = .now()) throws -> Result<Authenticated, TokenRejection> {
        guard let (token, lastUsed) = try log.token(secretHash: Self.hash(secret: secret)) else { return .failure(.unknown) }
        if token.revokedAt != nil { return .failure(.revoked) }
        if let expires = token.expiresAt, now >= expires { return .failure(.expired) }
        return .success(Authenticated(token: token, lastUsed: lastUsed))
    }

    /// Whether any token was ever made here: until one is, the API is open
    /// (to this machine only); a revoked or expired one still closes it.
    public func hasTokens() throws -> Bool { try log.hasTokens() }

    public func token(_ id: String) throws -> StoredToken? { try log.token(id) }

    /// Every token (of `projectId`, when given) with when it was last used; never a secret.
    public func tokens(projectId: String? = nil) throws -> [(token: StoredToken, lastUsed: Timestamp?)] {
        try log.tokens(projectId: projectId)
    }

    /// Records that token `id` was used at `at` (coarse: callers write at most hourly).
    public func noteTokenUse(_ id: String, at: Timestamp) throws { try log.noteTokenUse(id, at: at) }

    static func hash(secret: String) -> [UInt8] { SHA256.hash(Array(secret.utf8)) }

    /// 256 bits from the system's generator (getrandom on Linux), base64url.
    static func newSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return "cairn_" + Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// A short id to name the token by (in lists, the audit trail, `revoke`): not a secret.
    static func newTokenId() -> String {
        var generator = SystemRandomNumberGenerator()
        return "tok_" + (0..<6).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }.joined()
    }
}

/// A request's token, once checked.
public struct Authenticated: Sendable {
    public let token: StoredToken
    /// When its use was last recorded (coarse; `nil`: never).
    public let lastUsed: Timestamp?
}

extension AuditActor {
    /// An operator at the command line of this machine: no token, the
    /// operating-system user named (`cli:<user>`).
    public static var `operator`: AuditActor {
        let environment = ProcessInfo.processInfo.environment
        let account = getpwuid(getuid()).flatMap { String(validatingCString: $0.pointee.pw_name) }
        return AuditActor(tokenId: nil, name: "cli:" + (account ?? environment["USER"] ?? "uid \(getuid())"))
    }

    /// The token a request came with.
    public init(_ token: StoredToken) {
        self.init(tokenId: token.id, name: token.name ?? token.id)
    }
}
