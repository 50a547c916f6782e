import CairnKit
import Dispatch
import EventLog
import Hummingbird
import NIOConcurrencyHelpers

/// Who a request is: the project and role of its token, or anyone at all
/// on an open server (a store with no token, served on loopback only).
struct Caller: Sendable {
    /// The token's project; `nil` on an open server, where every project is reachable.
    let project: String?
    let role: Role
    /// For the audit trail.
    let actor: AuditActor

    static let open = Caller(project: nil, role: .editor, actor: AuditActor(tokenId: nil, name: "open-api"))
}

/// Bearer tokens from the store's `tokens` table (docs/http.md, "Tokens and
/// roles"). Read at every request, so a revocation holds from its commit.
struct Authorization: Sendable {
    let store: Store
    /// Told why each refused request was refused (the `tokens_rejected` metric).
    let rejected: @Sendable (TokenRejection) -> Void
    private let usage: TokenUsage

    init(store: Store, rejected: @escaping @Sendable (TokenRejection) -> Void = { _ in }) {
        self.store = store
        self.rejected = rejected
        usage = TokenUsage(store: store)
    }

    /// The caller of `request` if its token may do what needs `role`: 401
    /// without a usable token (unless the store has none at all), 403 with
    /// too weak a role.
    func caller(_ request: Request, needs role: Role) throws -> Caller {
        let caller = try authenticate(request)
        guard caller.role >= role else {
            ServerMetrics.tokenRejected(reason: .role)
            throw APIError(
                status: .forbidden, field: nil,
                message: "this needs a token of role \(role.rawValue) or above; this token's role is \(caller.role.rawValue)")
        }
        return caller
    }

    /// Who the request being handled is, once `TokenGate` has read its
    /// token: the route's own check then costs no second lookup. Scoped to
    /// the handling of that one request (a task-local).
    @TaskLocal static var authenticated: Caller?

    /// The caller of `request`, whatever its role.
    func authenticate(_ request: Request) throws -> Caller {
        if let known = Self.authenticated { return known }
        guard try store.hasTokens() else { return try openCaller(request) }
        do {
            guard let header = request.headers[.authorization] else { throw TokenRejection.missing }
            // The scheme is case-insensitive (RFC 7235); the secret is not.
            guard header.count > 7, header.prefix(7).lowercased() == "bearer " else { throw TokenRejection.malformed }
            switch try store.authenticate(secret: String(header.dropFirst(7))) {
            case .success(let found):
                usage.noteUse(found)
                return Caller(project: found.token.projectId, role: found.token.role, actor: AuditActor(found.token))
            case .failure(let rejection):
                throw rejection
            }
        } catch let rejection as TokenRejection {
            rejected(rejection)
            throw APIError(status: .unauthorized, field: "authorization", message: rejection.description)
        }
    }

    /// The caller of an open API (no token in the store): only a program on
    /// this machine talking to it directly. The listener is on loopback,
    /// but a reverse proxy or a tunnel would carry the network to it, and a
    /// web page in a local browser could post to it: a request that names
    /// another host, comes through a proxy, or carries a browser's `Origin`
    /// is refused. So is one with a bearer token: its sender believes it
    /// authenticates, and must learn that this service has no tokens.
    private func openCaller(_ request: Request) throws -> Caller {
        if request.headers[.authorization] != nil {
            throw APIError(
                status: .unauthorized, field: "authorization",
                message: "this service has no tokens (its API is open to this machine only): make them with `cairn token create`")
        }
        // HTTP/1's Host header arrives as the request's authority.
        let host = request.head.authority.map(Self.hostName) ?? "localhost"
        let forwarded = request.headers[.origin] != nil || request.headers[.init("forwarded")!] != nil
            || request.headers[.init("x-forwarded-for")!] != nil
        guard ServerConfiguration.isLoopback(host), !forwarded else {
            throw APIError(
                status: .forbidden, field: nil,
                message: "the API is open (no token yet) to direct requests from this machine only; make a token with `cairn token create`")
        }
        return .open
    }

    /// `host` of a Host header's `host[:port]` (`[::1]:4000` → `::1`).
    static func hostName(_ value: String) -> String {
        if value.hasPrefix("["), let end = value.firstIndex(of: "]") {
            return String(value[value.index(after: value.startIndex)..<end])
        }
        return String(value.split(separator: ":", maxSplits: 1).first ?? "")
    }

    /// Checks that `owner` (the project of the thing asked for) is the
    /// caller's: 404 when the thing does not exist, 403 when it is another
    /// project's.
    func check(_ caller: Caller, owner: String?, what: String) throws {
        guard let project = caller.project else { return }
        guard let owner else { throw APIError.notFound(what) }
        if owner != project {
            ServerMetrics.tokenRejected(reason: .wrongProject)
            throw APIError.forbidden(what)
        }
    }
}

/// Records when tokens are used, coarsely: at most once an hour a token,
/// written on its own queue, so a request never waits for the write (an
/// fsync) and a busy token costs one write an hour.
final class TokenUsage: Sendable {
    static let resolution: Int64 = 3_600 * 1_000_000
    private let store: Store
    private let pending = NIOLockedValueBox<Set<String>>([])
    private let queue = DispatchQueue(label: "cairn.server.token-usage")

    init(store: Store) { self.store = store }

    func noteUse(_ found: Authenticated, at now: Timestamp = .now()) {
        // `last` is read back from the folder as any 64-bit value: no trap on a damaged one.
        if let last = found.lastUsed {
            let (elapsed, overflow) = now.microseconds.subtractingReportingOverflow(last.microseconds)
            if !overflow && elapsed < Self.resolution { return }
        }
        let id = found.token.id
        guard pending.withLockedValue({ $0.insert(id).inserted }) else { return }
        queue.async { [self] in
            // Best effort: a failed write only leaves "last used" older.
            try? store.noteTokenUse(id, at: now)
            _ = pending.withLockedValue { $0.remove(id) }
        }
    }
}

/// Refuses every `/api/v1` request without a usable token (401) before any
/// route looks anything up, so a missing token never learns what exists.
struct TokenGate: RouterMiddleware {
    typealias Context = BasicRequestContext
    let auth: Authorization

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.path.hasPrefix("/api/v1") else { return try await next(request, context) }
        let caller = try auth.authenticate(request)
        // The route asks again (for its role); it gets this answer, read once.
        return try await Authorization.$authenticated.withValue(caller) { try await next(request, context) }
    }
}
