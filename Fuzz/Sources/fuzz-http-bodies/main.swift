// HTTP requests -> the service's router, in process (`makeRouter`, the same
// responder `cairn serve` runs, with its middleware: token gate, JSON
// errors, limits), over a store that serves 500 inputs. No sockets:
// each input is one request handed to the responder, as HummingbirdTesting's
// `.router` client does.
//
// Input: byte 0 picks the route (low nibble) and the token (high nibble:
// 0 is the role the route needs in project p1, so plain seeds are let in);
// up to the first newline is the path's id (a byte 0x00-0x07 alone names
// one of the store's own ids: workflows, triggers, the run, the dataclip);
// the rest is the body. The store starts with the sample workflow published
// in p1 and p2, tokens of each role, and one run with an input dataclip.
//
// Properties: no 5xx but a webhook's 504 (bad input is a 4xx naming what
// was wrong, docs/http.md); and a token of project p2 never changes what
// project p1 holds: p1's run, its runs' list and its workflow's latest
// version read the same before and after p2's request. p1's webhook has a
// key: a webhook takes no token, so only a request carrying that key may
// fire it, whatever its credential.
import CairnKit
import CairnServer
import EventLog
import Foundation
import FuzzSupport
import HTTPTypes
import Hummingbird
import LMDB
import Logging
import NIOCore
import NIOEmbedded
import Workflows

enum Route: UInt8, CaseIterable {
    // The JSON API (docs/http.md).
    case createRun = 0  // POST /api/v1/runs
    case claim  // POST /api/v1/runs/claim
    case events  // POST /api/v1/runs/{id}/events
    case publish  // POST /api/v1/workflows/{id}/publish
    case webhook  // POST /i/{trigger}
    case run  // GET /api/v1/runs/{id}
    case runs  // GET /api/v1/workflows/{id}/runs
    case dataclip  // GET /api/v1/dataclips/{id}
    case cursor  // GET /api/v1/triggers/{id}/cursor
    case upcoming  // GET /api/v1/triggers/{id}/upcoming
    case health  // GET /healthz
    case metrics  // GET /metrics
    // The web page (docs/page.md): a session cookie, not a bearer token.
    case pageHome  // GET /
    case pageSignInForm  // GET /login
    case pageWorkflow  // GET /workflows/{id}
    case pageRuns  // GET /workflows/{id}/runs
    case pageRun  // GET /runs/{id}
    case pageSignIn  // POST /login
    case pageSignOut  // POST /logout
    case pageCronInput  // POST /workflows/{id}/triggers/{trigger}/cursor
    case pageRunNow  // POST /workflows/{id}/triggers/{trigger}/run

    var method: HTTPRequest.Method {
        switch self {
        case .createRun, .claim, .events, .publish, .webhook, .pageSignIn, .pageSignOut, .pageCronInput, .pageRunNow: .post
        default: .get
        }
    }

    var isPage: Bool { rawValue >= Route.pageHome.rawValue }

    /// `id`, and `second` for the routes that name a workflow and its trigger.
    func path(_ id: String, _ second: String) -> String {
        switch self {
        case .createRun: "/api/v1/runs"
        case .claim: "/api/v1/runs/claim"
        case .events: "/api/v1/runs/\(id)/events"
        case .publish: "/api/v1/workflows/\(id)/publish"
        case .webhook: "/i/\(id)"
        case .run: "/api/v1/runs/\(id)"
        case .runs: "/api/v1/workflows/\(id)/runs"
        case .dataclip: "/api/v1/dataclips/\(id)"
        case .cursor: "/api/v1/triggers/\(id)/cursor"
        case .upcoming: "/api/v1/triggers/\(id)/upcoming"
        case .health: "/healthz"
        case .metrics: "/metrics"
        case .pageHome: "/"
        case .pageSignInForm, .pageSignIn: "/login"
        case .pageWorkflow: "/workflows/\(id)"
        case .pageRuns: "/workflows/\(id)/runs"
        case .pageRun: "/runs/\(id)"
        case .pageSignOut: "/logout"
        case .pageCronInput: "/workflows/\(id)/triggers/\(second)/cursor"
        case .pageRunNow: "/workflows/\(id)/triggers/\(second)/run"
        }
    }

    /// The role a plain seed's request gets (credential choice 0).
    var role: Role {
        switch self {
        case .createRun, .claim, .events, .webhook: .worker
        case .publish, .pageSignIn, .pageSignOut, .pageCronInput, .pageRunNow: .editor
        default: .viewer
        }
    }
}

/// The store, its tokens and the responder, made once: opening a store per
/// input would measure LMDB, not the routes.
final class Service: @unchecked Sendable {
    static let workflowA = "7b1c2b4e-0c2d-4f7a-9a51-1d2f3e4a5b60"
    static let workflowB = "8b1c2b4e-0c2d-4f7a-9a51-1d2f3e4a5b60"
    static let runA = "f1000000-0000-4000-8000-000000000001"
    static let dataclipA = "d1000000-0000-4000-8000-000000000001"
    /// Ids a one-byte path names, so inputs reach past "not found".
    static let known = [
        workflowA, workflowB, "c1000000-0000-4000-8000-000000000001", webhookA,
        "c2000000-0000-4000-8000-000000000002", runA, dataclipA, "a1000000-0000-4000-8000-000000000001",
    ]

    let store: Store
    let responder: RouterResponder<BasicRequestContext>
    let channel = NIOAsyncTestingChannel()
    let logger = Logger(label: "fuzz-http") { _ in SwiftLogNoOpLogHandler() }
    /// Secrets by "project role".
    let secrets: [String: String]
    /// The key of p1's webhook trigger (`cairn trigger key`).
    let webhookKey: String
    /// What `x-api-key` carries (bits 0x40 and 0x80 of byte 1): nothing,
    /// p1's webhook key, that key with its last character changed, or an
    /// empty value; and whether it is the right key.
    func apiKey(_ choice: UInt8) -> (value: String?, right: Bool) {
        switch choice & 3 {
        case 0: return (nil, false)
        case 1: return (webhookKey, true)
        case 2: return (String(webhookKey.dropLast()) + (webhookKey.hasSuffix("A") ? "B" : "A"), false)
        default: return ("", false)
        }
    }
    static let webhookA = "c1000000-0000-4000-8000-000000000002"
    /// The page's CSRF token of each secret's session, and the pre-session
    /// cookie with its own (what the sign-in form carries); read from the
    /// pages as a browser reads them.
    private(set) var csrf: [String: String] = [:]
    private(set) var preSession = (cookie: "", csrf: "")

    /// Where this process's stores go, one folder a service.
    static let scratch = scratchFolder("cairn-fuzz-http-", inMemory: false)
    /// Inputs a service serves before a new one takes over: every input
    /// that saves the page's cron input adds a client to p1's document (the
    /// hub edits with a fresh replica), and every page view loads it, so
    /// one store for the whole run slowed the target from about 1,500 to
    /// about 120 inputs a second, and one for 2,000 inputs to about 400.
    /// With 500 it holds about 900 beside two other fuzzers.
    static let inputsPerService = 500
    let folder: String

    init(_ number: Int) {
        folder = "\(Self.scratch)/\(number)"
        try? FileManager.default.removeItem(atPath: folder)
        try! FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var options = Environment.Options()
        options.noSync = true  // the run's folder goes with it; fsync would be most of an input's time
        store = try! Store(path: folder, options: options, notice: { _ in })
        let sample = String(decoding: Fixtures.bytes("workflows/daily-report.json"), as: UTF8.self)
        for (copy, project, workflow) in [(1, "p1", Self.workflowA), (2, "p2", Self.workflowB)] {
            var text = sample.replacingOccurrences(of: "4f9e2d1c-aaaa-4bbb-8ccc-000000000001", with: project)
                .replacingOccurrences(of: "7b1c2b4e-0c2d-4f7a-9a51-1d2f3e4a5b60", with: workflow)
            for prefix in ["a", "c", "e"] {
                text = text.replacingOccurrences(of: "\(prefix)1000000-", with: "\(prefix)\(copy)000000-")
            }
            _ = try! store.publish(try! WorkflowJSON.decode(Array(text.utf8)))
        }
        var secrets: [String: String] = [:]
        for project in ["p1", "p2"] {
            for role in [Role.worker, .editor, .viewer] {
                let issued = try! store.createToken(projectId: project, role: role, actor: AuditActor(tokenId: nil, name: "fuzz"))
                secrets["\(project) \(role)"] = issued.secret
            }
        }
        self.secrets = secrets
        webhookKey = try! store.newWebhookKey(Self.webhookA)
        let created = #"{"event":"run:created","payload":{"run_id":"\#(Self.runA)","workflow_id":"\#(Self.workflowA)","input_dataclip_id":"\#(Self.dataclipA)","input":{"type":"global","body":{"a":1}}}}"#
        var name: String?
        _ = try! store.append([try! WorkerProtocol.decodeLine(Array(created.utf8), name: &name)])
        responder = makeServiceRouter(
            store: store, configuration: ServerConfiguration(runScheduler: false, webhookReplyTimeout: .milliseconds(20))
        ).buildResponder()
        blocking { await self.readPageSessions() }
    }

    private func readPageSessions() async {
        let form = #"name="csrf" value="([^"]+)""#
        for project in ["p1", "p2"] {
            for role in [Role.editor, .viewer] {
                let secret = secrets["\(project) \(role)"]!
                let page = await send(
                    .get, "/workflows/\(project == "p1" ? Self.workflowA : Self.workflowB)", cookie: "\(PageCookies.session)=\(secret)")
                csrf[secret] = Self.first(form, in: page.body) ?? { fatalError("no CSRF token on the page of \(project) \(role)") }()
            }
        }
        let signIn = await send(.get, "/login")
        let cookie = signIn.setCookies.first { $0.hasPrefix(PageCookies.preSession + "=") }.map { String($0.prefix { $0 != ";" }) }
        preSession = (
            cookie ?? { fatalError("GET /login set no pre-session cookie") }(),
            Self.first(form, in: signIn.body) ?? { fatalError("no CSRF token on the sign-in form") }()
        )
    }

    static func first(_ pattern: String, in text: String) -> String? {
        guard let match = text.firstMatch(of: try! Regex(pattern)), let group = match.output[1].substring else { return nil }
        return String(group)
    }

    /// Credential choice (low nibble, mod 9): 0 the route's role in p1; then
    /// p1 worker, editor, viewer, p2 worker, editor, viewer; a secret nobody
    /// holds; none.
    func credential(_ choice: UInt8, _ route: Route) -> (secret: String?, project: String?, role: Role?) {
        let choices: [(String, Role)] = [
            ("p1", route.role), ("p1", .worker), ("p1", .editor), ("p1", .viewer),
            ("p2", .worker), ("p2", .editor), ("p2", .viewer),
        ]
        switch Int(choice % 9) {
        case 7: return ("cairn_not-a-token", nil, nil)
        case 8: return (nil, nil, nil)
        case let i:
            let (project, role) = choices[i]
            return (secrets["\(project) \(role)"]!, project, role)
        }
    }

    struct Answer {
        var status: Int
        var body = ""
        var contentType = ""
        var setCookies: [String] = []
    }

    func send(
        _ method: HTTPRequest.Method, _ path: String, bearer: String? = nil, cookie: String? = nil,
        apiKey: String? = nil, contentType: String = "application/json", body: [UInt8] = []
    ) async -> Answer {
        var headers = HTTPFields()
        if let bearer { headers[.authorization] = "Bearer " + bearer }
        if let cookie { headers[.cookie] = cookie }
        if let apiKey { headers[HTTPField.Name("x-api-key")!] = apiKey }
        headers[.contentType] = contentType
        headers[.contentLength] = String(body.count)
        let request = Request(
            head: HTTPRequest(method: method, scheme: "http", authority: "localhost", path: path, headerFields: headers),
            body: RequestBody(buffer: ByteBuffer(bytes: body)))
        let context = BasicRequestContext(source: .init(channel: channel, logger: logger))
        do {
            let response = try await responder.respond(to: request, context: context)
            var answer = Answer(
                status: response.status.code, contentType: response.headers[.contentType] ?? "",
                setCookies: response.headers[values: .setCookie])
            // Bodies are read where they are checked: the page's HTML.
            if answer.contentType.hasPrefix("text/html") {
                let writer = Collected()
                try? await response.body.write(writer)
                answer.body = String(decoding: writer.bytes, as: UTF8.self)
            }
            return answer
        } catch let error as HTTPResponseError {
            return Answer(status: error.status.code)
        } catch {
            return Answer(status: 500)
        }
    }

    /// What p1 holds that a request without the right to change it must
    /// not change: its run, its runs' list, its workflow's latest version
    /// and its document's revision.
    func projectOneView() async -> [Int: [UInt8]] {
        var view: [Int: [UInt8]] = [:]
        let viewer = secrets["p1 viewer"]!
        for (n, path) in ["/api/v1/runs/\(Self.runA)", "/api/v1/workflows/\(Self.workflowA)/runs"].enumerated() {
            view[n] = await body(path, viewer)
        }
        view[2] = (try? store.snapshot(Self.workflowA)).flatMap { $0 }.map { Array("\($0.summary.lockVersion)".utf8) }
        view[3] = (try? store.documentRevision(Self.workflowA)).map { Array("\($0)".utf8) }
        return view
    }

    private func body(_ path: String, _ secret: String) async -> [UInt8] {
        var headers = HTTPFields()
        headers[.authorization] = "Bearer " + secret
        let request = Request(
            head: HTTPRequest(method: .get, scheme: "http", authority: "localhost", path: path, headerFields: headers),
            body: RequestBody(buffer: ByteBuffer()))
        let context = BasicRequestContext(source: .init(channel: channel, logger: logger))
        guard let response = try? await responder.respond(to: request, context: context) else { return [] }
        let writer = Collected()
        try? await response.body.write(writer)
        return writer.bytes
    }
}

/// The page's cookie names (docs/page.md, "Signing in").
enum PageCookies {
    static let session = "cairn_session"
    static let preSession = "cairn_presession"
}

/// A response body, gathered.
final class Collected: ResponseBodyWriter, @unchecked Sendable {
    var bytes: [UInt8] = []
    func write(_ buffer: ByteBuffer) async throws { bytes += buffer.readableBytesView }
    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}

/// The tags the page's templates and its graph write; any other tag in a
/// page is markup that came from data (a job's name, a dataclip, an error
/// message) unescaped. A template that gains a tag adds it here.
let pageTags: Set<String> = [
    "a", "article", "body", "button", "code", "defs", "details", "div", "em", "footer", "form", "g", "h1", "h2", "h3",
    "h4", "head", "header", "html", "input", "label", "li", "link", "main", "marker", "meta", "ol", "option", "p",
    "path", "pre", "rect", "script", "section", "select", "span", "strong", "summary", "svg", "table", "tbody", "td",
    "text", "th", "thead", "title", "tr",
]
let pageScript = #"<script src="/assets/page.js" defer></script>"#

/// The page's HTML holds only its own markup: known tags, and its one script.
/// A byte scan for `<` and a letter: Swift's `Regex` (parsed again at each
/// call on Linux) was a fifth of this target's time.
func checkMarkup(_ html: String, _ what: String) {
    var scripts = 0
    var html = html
    html.withUTF8 { bytes in
        var i = 0
        while i < bytes.count {
            defer { i += 1 }
            guard bytes[i] == UInt8(ascii: "<"), i + 1 < bytes.count, isLetter(bytes[i + 1]) else { continue }
            var end = i + 1
            while end < bytes.count, isLetter(bytes[end]) || isDigit(bytes[end]) || bytes[end] == UInt8(ascii: "-") { end += 1 }
            let tag = String(decoding: bytes[(i + 1)..<end], as: UTF8.self).lowercased()
            require(pageTags.contains(tag), "\(what): the page holds a <\(tag)> no template writes (data rendered unescaped?)")
            if tag.hasPrefix("script") { scripts += 1 }
        }
    }
    require(scripts <= 1 && (scripts == 0 || html.contains(pageScript)), "\(what): the page holds a script of its own making")
}

func isLetter(_ byte: UInt8) -> Bool { (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z") }
func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

nonisolated(unsafe) var service = Service(0)
nonisolated(unsafe) var inputs = 0

/// Input: byte 0 picks the route (mod the routes' count); byte 1 the
/// credential (low nibble, `Service.credential`; 0 is the role the route
/// needs in p1, so plain seeds are let in), with bit 0x10 leaving the
/// CSRF token out of a page's form and bit 0x20 putting the secret where
/// the route does not read it (a session cookie to the API, a bearer token
/// to the page); bits 0x40 and 0x80 choose `x-api-key` (`Service.apiKey`). Then, up to the first newline, the path's id (a byte
/// 0x00-0x07 alone names one of the store's own ids; a '/' parts a
/// workflow's id from its trigger's); the rest is the body, a form for the
/// page's posts (with "$TOKEN" standing for the credential's secret, and
/// the session's CSRF token appended).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPBodies(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = [UInt8](UnsafeRawBufferPointer(start: start, count: count))
    guard bytes.count >= 2 else { return 0 }
    inputs += 1
    if inputs % Service.inputsPerService == 0 {
        let old = service.folder
        service = Service(inputs / Service.inputsPerService)
        try? FileManager.default.removeItem(atPath: old)
    }
    let current = service
    let route = Route(rawValue: bytes[0] % UInt8(Route.allCases.count))!
    let (secret, project, role) = current.credential(bytes[1] & 0x0F, route)
    let omitCSRF = bytes[1] & 0x10 != 0
    let swapped = bytes[1] & 0x20 != 0
    let (apiKey, rightKey) = current.apiKey(bytes[1] >> 6)
    let rest = bytes.dropFirst(2)
    let newline = rest.firstIndex(of: 0x0A)
    let rawPath = Array(rest[..<(newline ?? rest.startIndex)])
    var form = Array(newline.map { rest[($0 + 1)...] } ?? rest)
    func id(_ raw: ArraySlice<UInt8>) -> String {
        raw.count == 1 && raw.first! < Service.known.count ? Service.known[Int(raw.first!)] : String(decoding: raw, as: UTF8.self)
    }
    let slash = rawPath.firstIndex(of: 0x2F) ?? rawPath.endIndex
    let first = id(rawPath[..<slash])
    let second = slash < rawPath.endIndex ? id(rawPath[(slash + 1)...]) : ""
    let path = route.path(route == .pageCronInput || route == .pageRunNow ? first : id(rawPath[...]), second)

    var bearer: String?
    var cookies: [String] = []
    let onPage = route.isPage != swapped
    if let secret {
        if onPage { cookies.append("\(PageCookies.session)=\(secret)") } else { bearer = secret }
    }
    var contentType = "application/json"
    if route.isPage && route.method == .post {
        contentType = "application/x-www-form-urlencoded"
        cookies.append(current.preSession.cookie)
        if let secret {
            form = Array(String(decoding: form, as: UTF8.self).replacingOccurrences(of: "$TOKEN", with: secret).utf8)
        }
        if !omitCSRF {
            let token = route == .pageSignIn ? current.preSession.csrf : secret.flatMap { current.csrf[$0] } ?? ""
            form += Array("&csrf=\(token)".utf8)
        }
    }
    // Requests that may not change p1: another project's, a viewer's, a
    // page form without its CSRF token, a secret where the route does not
    // read it; a webhook's but with p1's webhook key to p1's webhook, whoever sends it.
    let mayChangeProjectOne =
        route == .webhook
        ? rightKey && path.hasPrefix("/i/\(Service.webhookA)")  // a query may follow
        : project == "p1" && role != .viewer && !swapped && !(route.isPage && route.method == .post && omitCSRF)
    let cookie = cookies.isEmpty ? nil : cookies.joined(separator: "; ")
    let (body, type, authorization, key) = (form, contentType, bearer, apiKey)

    let (answer, before, after) = blocking { () async -> (Service.Answer, [Int: [UInt8]], [Int: [UInt8]]) in
        let before = mayChangeProjectOne ? [:] : await current.projectOneView()
        let answer = await current.send(
            route.method, path, bearer: authorization, cookie: cookie, apiKey: key, contentType: type, body: body)
        let after = mayChangeProjectOne ? [:] : await current.projectOneView()
        return (answer, before, after)
    }
    let what = "\(route.method) \(path) (\(answer.status))"
    require(answer.status < 500 || (route == .webhook && answer.status == 504), "\(what) answered \(answer.status)")
    require(before == after, "\(what) changed what p1 holds, with a credential that may not")
    if !answer.body.isEmpty { checkMarkup(answer.body, what) }
    return 0
}

// SwiftPM's entry for this executable; see FuzzSupport/Driver.swift.
@_cdecl("fuzz_http_bodies_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzHTTPBodies)
}
