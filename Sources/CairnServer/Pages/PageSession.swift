import CairnKit
import EventLog
import Crypto
import Foundation
import Hummingbird

/// Who is looking at the page (docs/page.md, "Signing in"): a signed-in
/// editor or viewer token, or anyone on this machine when the server has
/// no token at all (then read-only).
struct PageViewer: Sendable {
    /// The token's project; `nil` on an open server (every project, read-only).
    let project: String?
    let role: Role
    let actor: AuditActor
    /// What this viewer's form posts must carry (`PageSession.csrfToken`).
    let csrf: String
    /// An open server: no token exists; the page shows everything and changes nothing.
    let open: Bool

    var mayEdit: Bool { !open && role >= .editor }
}

/// The page's sessions: the token kept in an HttpOnly, SameSite=Strict
/// cookie, and CSRF tokens bound to it.
struct PageSession: Sendable {
    static let sessionCookie = "cairn_session"
    /// A random value given to a browser before it signs in, so the sign-in
    /// form's own CSRF token has something to be bound to.
    static let preSessionCookie = "cairn_presession"

    let store: Store
    let auth: Authorization
    /// HMAC key of the CSRF tokens: random per process (a restart makes
    /// open pages' forms stale: reload them).
    private let key: SymmetricKey

    init(store: Store, auth: Authorization, key: SymmetricKey = SymmetricKey(size: .bits256)) {
        self.store = store
        self.auth = auth
        self.key = key
    }

    /// The CSRF token of a session (or pre-session) value: HMAC-SHA256 under
    /// the process's key, base64url. Not guessable without the key, and
    /// useless without the cookie it is bound to.
    func csrfToken(for session: String) -> String {
        let mac = HMAC<Crypto.SHA256>.authenticationCode(for: Array("cairn-page-csrf\u{0}\(session)".utf8), using: key)
        return Data(mac).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Whether `given` is the CSRF token of `session`, compared in constant time.
    func csrfMatches(_ given: String?, session: String?) -> Bool {
        guard let given, let session, !session.isEmpty else { return false }
        let expected = Array(csrfToken(for: session).utf8)
        let actual = Array(given.utf8)
        guard expected.count == actual.count else { return false }
        return zip(expected, actual).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    static func cookie(_ request: Request, _ name: String) -> String? {
        request.cookies[name]?.value
    }

    /// The viewer of `request`: `nil` when it is not signed in (or its token
    /// is no longer usable, or is a worker's). Throws a `PageError` (403)
    /// for an open server reached other than directly from this machine,
    /// with the open API's rule (`Authorization.openCaller`).
    func viewer(_ request: Request) throws -> PageViewer? {
        guard try store.hasTokens() else {
            var head = request.head
            head.headerFields[.authorization] = nil
            do {
                _ = try auth.authenticate(Request(head: head, body: request.body))
            } catch let error as APIError {
                throw PageError(status: error.status, message: error.message)
            }
            // Bound to the pre-session cookie, though nothing is posted on an open server but sign-out.
            let pre = Self.cookie(request, Self.preSessionCookie) ?? ""
            return PageViewer(
                project: nil, role: .viewer, actor: AuditActor(tokenId: nil, name: "open-page"),
                csrf: csrfToken(for: pre), open: true)
        }
        guard let secret = Self.cookie(request, Self.sessionCookie), !secret.isEmpty else { return nil }
        // A worker's token is no session of the page (it cannot sign in; refused here too).
        guard let caller = try caller(secret: secret, request), caller.role != .worker else { return nil }
        return PageViewer(project: caller.project, role: caller.role, actor: caller.actor, csrf: csrfToken(for: secret), open: false)
    }

    /// The caller the JSON API would see for a request bearing `secret`
    /// (the same checks, "last used" and metrics), or `nil` when it would
    /// refuse it (401).
    func caller(secret: String, _ request: Request) throws -> Caller? {
        var head = request.head
        head.headerFields[.authorization] = "Bearer \(secret)"
        // Origin and forwarding headers matter to an open server only, never reached here.
        do {
            return try auth.authenticate(Request(head: head, body: request.body))
        } catch let error as APIError where error.status == .unauthorized {
            return nil
        }
    }

    /// `Set-Cookie` of the session: HttpOnly, SameSite=Strict, the whole
    /// site; `Secure` when the page was reached over HTTPS (`secure`).
    static func sessionCookieHeader(_ secret: String, secure: Bool = false) -> String {
        "\(sessionCookie)=\(secret); Path=/; HttpOnly; SameSite=Strict\(secure ? "; Secure" : "")"
    }

    static func clearedSessionCookieHeader(secure: Bool = false) -> String {
        "\(sessionCookie)=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0\(secure ? "; Secure" : "")"
    }

    static func preSessionCookieHeader(_ value: String, secure: Bool = false) -> String {
        "\(preSessionCookie)=\(value); Path=/; HttpOnly; SameSite=Strict\(secure ? "; Secure" : "")"
    }

    /// Whether the browser reached the page over HTTPS: `cairn serve` speaks
    /// plain HTTP, so only a TLS-terminating proxy in front can say so
    /// (`X-Forwarded-Proto: https`, or `proto=https` in `Forwarded`). The
    /// header is trusted because it can only make the cookie stricter: a
    /// client that lies gets a cookie its own browser will not send back
    /// over plain HTTP.
    static func reachedOverHTTPS(_ request: Request) -> Bool {
        if let proto = request.headers[.init("x-forwarded-proto")!],
            proto.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } == "https"
        {
            return true
        }
        if let forwarded = request.headers[.init("forwarded")!] {
            return forwarded.lowercased().contains("proto=https")
        }
        return false
    }

    /// A new pre-session value: 128 random bits, hex.
    static func newPreSession() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    /// Whether `secret` can be kept in a cookie as it is (tokens are
    /// `cairn_` and base64url: they always can).
    static func isCookieSafe(_ secret: String) -> Bool {
        !secret.isEmpty && secret.utf8.count <= 512
            && secret.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.~".unicodeScalars.contains($0)) }
    }
}
