// HTTP requests -> the service's router, in process (`makeRouter`, the same
// responder `cairn serve` runs, with its middleware: token gate, JSON
// errors, limits), over one store that lives for the whole run. No sockets:
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
// version read the same before and after p2's request.
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

    var method: HTTPRequest.Method { rawValue <= Route.webhook.rawValue ? .post : .get }

    func path(_ id: String) -> String {
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
        }
    }

    /// The role a plain seed's request gets (token nibble 0).
    var role: Role {
        switch self {
        case .createRun, .claim, .events, .webhook: .worker
        case .publish: .editor
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
        workflowA, workflowB, "c1000000-0000-4000-8000-000000000001", "c1000000-0000-4000-8000-000000000002",
        "c2000000-0000-4000-8000-000000000002", runA, dataclipA, "a1000000-0000-4000-8000-000000000001",
    ]

    let store: Store
    let responder: RouterResponder<BasicRequestContext>
    let channel = NIOAsyncTestingChannel()
    let logger = Logger(label: "fuzz-http") { _ in SwiftLogNoOpLogHandler() }
    /// Secrets by (project, role).
    let secrets: [String: String]

    static let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-fuzz-http-\(getpid())").path

    init() {
        let folder = Self.folder
        try? FileManager.default.removeItem(atPath: folder)
        try! FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: Service.folder) }
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
        let created = #"{"event":"run:created","payload":{"run_id":"\#(Self.runA)","workflow_id":"\#(Self.workflowA)","input_dataclip_id":"\#(Self.dataclipA)","input":{"type":"global","body":{"a":1}}}}"#
        var name: String?
        _ = try! store.append([try! WorkerProtocol.decodeLine(Array(created.utf8), name: &name)])
        responder = makeRouter(
            store: store, configuration: ServerConfiguration(runScheduler: false, webhookReplyTimeout: .milliseconds(20))
        ).buildResponder()
    }

    /// Token nibble: 0 the route's role in p1; then p1 worker, editor,
    /// viewer, p2 worker, editor, viewer; a secret nobody holds; none.
    func authorization(_ nibble: UInt8, _ route: Route) -> (header: String?, project: String?) {
        let choices: [(String, Role)?] = [
            ("p1", route.role), ("p1", .worker), ("p1", .editor), ("p1", .viewer),
            ("p2", .worker), ("p2", .editor), ("p2", .viewer),
        ]
        switch Int(nibble % 9) {
        case 7: return ("Bearer cairn_not-a-token", nil)
        case 8: return (nil, nil)
        case let i:
            let (project, role) = choices[i]!
            return ("Bearer " + secrets["\(project) \(role)"]!, project)
        }
    }

    func respond(_ method: HTTPRequest.Method, _ path: String, authorization: String?, body: [UInt8]) async -> Int {
        var headers = HTTPFields()
        if let authorization { headers[.authorization] = authorization }
        headers[.contentType] = "application/json"
        headers[.contentLength] = String(body.count)
        let request = Request(
            head: HTTPRequest(method: method, scheme: "http", authority: "localhost", path: path, headerFields: headers),
            body: RequestBody(buffer: ByteBuffer(bytes: body)))
        let context = BasicRequestContext(source: .init(channel: channel, logger: logger))
        do {
            return try await responder.respond(to: request, context: context).status.code
        } catch let error as HTTPResponseError {
            return error.status.code
        } catch {
            return 500
        }
    }

    /// What p1 holds that another project's token must not change.
    func projectOneView() async -> [Int: [UInt8]] {
        var view: [Int: [UInt8]] = [:]
        let viewer = "Bearer " + secrets["p1 viewer"]!
        for (n, path) in ["/api/v1/runs/\(Self.runA)", "/api/v1/workflows/\(Self.workflowA)/runs"].enumerated() {
            view[n] = await body(path, viewer)
        }
        view[2] = (try? store.snapshot(Self.workflowA)).flatMap { $0 }.map { Array("\($0.summary.lockVersion)".utf8) }
        return view
    }

    private func body(_ path: String, _ authorization: String) async -> [UInt8] {
        var headers = HTTPFields()
        headers[.authorization] = authorization
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

/// A response body, gathered.
final class Collected: ResponseBodyWriter, @unchecked Sendable {
    var bytes: [UInt8] = []
    func write(_ buffer: ByteBuffer) async throws { bytes += buffer.readableBytesView }
    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}

let service = Service()

/// A value handed from a task to the thread waiting for it.
final class Handover<T>: @unchecked Sendable { var value: T? }

/// Runs `body` to its end on Swift concurrency's pool; libFuzzer's thread waits.
func blocking<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
    let box = Handover<T>()
    let done = DispatchSemaphore(value: 0)
    Task {
        box.value = await body()
        done.signal()
    }
    done.wait()
    return box.value!
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPBodies(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = [UInt8](UnsafeRawBufferPointer(start: start, count: count))
    guard let first = bytes.first else { return 0 }
    let route = Route(rawValue: (first & 0x0F) % UInt8(Route.allCases.count))!
    let (authorization, project) = service.authorization(first >> 4, route)
    let rest = bytes.dropFirst()
    let newline = rest.firstIndex(of: 0x0A)
    let rawId = Array(rest[..<(newline ?? rest.startIndex)])
    let body = Array(newline.map { rest[($0 + 1)...] } ?? rest)
    let id = rawId.count == 1 && rawId[0] < Service.known.count ? Service.known[Int(rawId[0])] : String(decoding: rawId, as: UTF8.self)
    let path = route.path(id)

    let (status, before, after) = blocking { () async -> (Int, [Int: [UInt8]], [Int: [UInt8]]) in
        let watched = project == "p2"
        let before = watched ? await service.projectOneView() : [:]
        let status = await service.respond(route.method, path, authorization: authorization, body: body)
        let after = watched ? await service.projectOneView() : [:]
        return (status, before, after)
    }
    require(status < 500 || (route == .webhook && status == 504), "\(route.method) \(path) answered \(status)")
    require(before == after, "a p2 token's \(route.method) \(path) (\(status)) changed what p1 holds")
    return 0
}

// SwiftPM's entry for this executable; see FuzzSupport/Driver.swift.
@_cdecl("fuzz_http_bodies_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzHTTPBodies)
}
