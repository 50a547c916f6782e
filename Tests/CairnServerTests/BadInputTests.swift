import CairnKit
import CairnServer
import Foundation
import Hummingbird
import HummingbirdTesting
import HummingbirdWSClient
import HummingbirdWSTesting
import TestSupport
import Testing
import Encoding
import YDoc

/// Too much, malformed, or the wrong shape: a 4xx with
/// `{"error":{"field","message"}}`, never a 500, nothing written
/// (docs/http.md, "Limits and errors").
@Suite struct BadInputTests {
    typealias P = TwoProjects

    static func error(_ text: String) -> (field: String?, message: String?) {
        let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
        let error = object?["error"] as? [String: Any]
        return (error?["field"] as? String, error?["message"] as? String)
    }

    func send(_ client: some TestClientProtocol, _ uri: String, _ body: String, token: String? = "t1",
              headers: HTTPFields = [:]) async throws -> (HTTPResponse.Status, String) {
        try await send(client, .post, uri, body, token: token, headers: headers)
    }

    func send(_ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, _ body: String,
              token: String? = "t1", headers: HTTPFields = [:]) async throws -> (HTTPResponse.Status, String) {
        var all = headers
        if let token { all.append(contentsOf: P.auth(token)) }
        return try await client.execute(uri: uri, method: method, headers: all, body: ByteBuffer(string: body)) {
            ($0.status, String(buffer: $0.body))
        }
    }

    @Test func oversizedBodiesAndDataclipsGet413NamingTheLimit() async throws {
        let p = try TwoProjects()
        let limits = RequestLimits(bodyBytes: 4_096, dataclipBytes: 1_024)
        let app = Application(router: makeRouter(store: p.store, configuration: ServerConfiguration(runScheduler: false, limits: limits)))
        let before = try p.store.log.lastSequence()
        try await app.test(.router) { client in
            let big = String(repeating: "x", count: 5_000)
            let (status, text) = try await send(client, "/api/v1/runs", #"{"pad":"\#(big)"}"#)
            #expect(status == .contentTooLarge)
            #expect(Self.error(text).field == "body" && Self.error(text).message?.contains("4096") == true, "\(text)")
            // A dataclip over its own limit, in a body under the request limit.
            let clip = String(repeating: "y", count: 2_000)
            let input = try await send(client, "/api/v1/runs", #"{"run_id":"r1","workflow_id":"\#(P.workflowA)","input":{"type":"global","body":{"k":"\#(clip)"}}}"#)
            #expect(input.0 == .contentTooLarge)
            #expect(Self.error(input.1).field == "input.body" && Self.error(input.1).message?.contains("dataclip limit of 1024") == true, "\(input.1)")
            // And through a webhook.
            let hook = try await send(client, "/i/c1000000-0000-4000-8000-000000000002", #"{"k":"\#(clip)"}"#, token: nil)
            #expect(hook.0 == .contentTooLarge)
            // A webhook's body is its input whole: past the dataclip limit it
            // is refused before it is parsed (session 21: an open webhook
            // parsed 32 MiB, half a gigabyte, before the dataclip check).
            let unparsed = try await send(client, "/i/c1000000-0000-4000-8000-000000000002", "[" + clip + clip, token: nil)
            #expect(unparsed.0 == .contentTooLarge, "\(unparsed)")
            #expect(Self.error(unparsed.1).message?.contains("limit (twice the dataclip limit) of 2048") == true, "\(unparsed.1)")
            // Under it, a body that is not JSON is still a 400.
            #expect(try await send(client, "/i/c1000000-0000-4000-8000-000000000002", "[1", token: nil).0 == .badRequest)
        }
        #expect(try p.store.log.lastSequence() == before)
        // Pretty-printed, a webhook body past the dataclip limit may be stored under it: accepted.
        try await app.test(.router) { client in
            let pretty = "{" + String(repeating: " ", count: 1_500) + #""k":1}"#
            let (status, text) = try await send(client, "/i/c1000000-0000-4000-8000-000000000002", pretty, token: nil)
            #expect(status == .created, "\(text)")
        }
    }

    @Test func malformedWrongTypesAndMissingFieldsAre4xxWithTheirField() async throws {
        let p = try TwoProjects()
        try await p.app.test(.router) { client in
            let cases: [(String, String, HTTPResponse.Status, String)] = [
                ("/api/v1/runs", "{not json", .badRequest, "body"),
                ("/api/v1/runs", #"{"workflow_id":"\#(P.workflowA)","input_dataclip_id":"x"}"#, .unprocessableContent, "run_id"),
                ("/api/v1/runs", #"{"run_id":7,"workflow_id":"\#(P.workflowA)"}"#, .unprocessableContent, "run_id"),
                ("/api/v1/runs/claim", #"{"demand":"x"}"#, .badRequest, "demand"),
                ("/api/v1/runs/claim", #"{"demand":0}"#, .badRequest, "demand"),
                ("/api/v1/runs/claim", #"{"worker_name":3}"#, .badRequest, "worker_name"),
                ("/api/v1/runs/claim", "[]", .badRequest, "body"),
                ("/api/v1/workflows/\(P.workflowA)/publish", "[1]", .badRequest, "body"),
                ("/api/v1/workflows/\(P.workflowA)/publish", "{\"id\":", .badRequest, "body"),
            ]
            for (uri, body, expected, field) in cases {
                let (status, text) = try await send(client, uri, body)
                #expect(status == expected, "\(uri) \(body): \(status) \(text)")
                #expect(Self.error(text).field == field, "\(uri) \(body): \(text)")
            }
        }
    }

    /// Query parameters out of range or not integers: 400 naming them, never a silent default.
    @Test func badQueryParametersAre400WithTheirName() async throws {
        let p = try TwoProjects()
        let cron = "c1000000-0000-4000-8000-000000000001"
        try await p.app.test(.router) { client in
            for (uri, field) in [
                ("/api/v1/triggers/\(cron)/upcoming?count=abc", "count"),
                ("/api/v1/triggers/\(cron)/upcoming?count=0", "count"),
                ("/api/v1/triggers/\(cron)/upcoming?count=1001", "count"),
                ("/api/v1/workflows/\(P.workflowA)/runs?limit=x", "limit"),
            ] {
                let (status, text) = try await send(client, .get, uri, "")
                #expect(status == .badRequest, "\(uri): \(status) \(text)")
                #expect(Self.error(text).field == field, "\(uri): \(text)")
            }
            let (status, text) = try await send(client, .get, "/api/v1/triggers/\(cron)/upcoming?count=3", "")
            #expect(status == .ok, "\(text)")
            let times = (try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])?["fires_at"] as? [Any]
            #expect(times?.count == 3)
        }
    }

    /// A store at its ceiling: 507 "store full" for the write that met it,
    /// nothing of it kept, reads and earlier writes unharmed.
    @Test func aFullStoreAnswers507AndKeepsWhatItAcknowledged() async throws {
        let p = try TwoProjects(options: .init(mapSize: 1 << 20, maxMapSize: 2 << 20))
        let pad = String(repeating: "x", count: 60_000)
        try await p.app.test(.router) { client in
            var acknowledged: [String] = []
            var refusal: (HTTPResponse.Status, String)?
            for i in 0..<200 where refusal == nil {
                let body = #"{"run_id":"big\#(i)","workflow_id":"\#(P.workflowA)","input":{"type":"global","body":{"pad":"\#(pad)"}}}"#
                let (status, text) = try await send(client, "/api/v1/runs", body)
                if status == .created || status == .ok { acknowledged.append("big\(i)") } else { refusal = (status, text) }
            }
            let (status, text) = try #require(refusal, "the store never filled")
            #expect(status.code == 507, "\(text)")
            #expect(Self.error(text).message?.hasPrefix("store full") == true, "\(text)")
            #expect(!acknowledged.isEmpty)
            for run in acknowledged { #expect(try p.store.runFromLog(run) != nil, "\(run)") }
            #expect(try p.store.runFromLog("big\(acknowledged.count)") == nil)
            #expect(try await send(client, .get, "/healthz", "", token: nil).0 == .ok)
        }
    }

    @Test func unknownRoutesAndMethodsAreJSON404s() async throws {
        let p = try TwoProjects()
        try await p.app.test(.router) { client in
            for (method, uri) in [(HTTPRequest.Method.get, "/nope"), (.get, "/api/v2/runs"), (.post, "/i")] {
                let (status, text) = try await send(client, method, uri, "", token: nil)
                #expect(status == .notFound, "\(uri)")
                #expect(Self.error(text).message?.contains(uri) == true, "\(uri): \(text)")
            }
        }
    }

    @Test func aDrainingServiceAnswers503() async throws {
        let p = try TwoProjects()
        let draining = Draining()
        let app = Application(router: makeRouter(store: p.store, configuration: p.configuration, draining: draining))
        try await app.test(.router) { client in
            #expect(try await send(client, .get, "/healthz", "", token: nil).0 == .ok)
            draining.begin()
            let (status, text) = try await send(client, "/api/v1/runs", P.create("r1", workflow: P.workflowA, input: "i1"))
            #expect(status == .serviceUnavailable && Self.error(text).message?.contains("shutting down") == true)
        }
        #expect(try p.store.log.run("r1") == nil)
    }

    @Test func aSocketMessageOverTheLimitClosesWith1009() async throws {
        let p = try TwoProjects()
        let configuration = ServerConfiguration(port: 0, runScheduler: false, limits: RequestLimits(socketMessageBytes: 64 << 10))
        try await makeApplication(store: p.store, configuration: configuration).test(.live) { client in
            let close = try await client.ws(
                "/api/v1/workflows/\(P.workflowA)/sync", configuration: .init(additionalHeaders: P.auth("t1"))
            ) { inbound, outbound, _ in
                // An update of 40 KiB in one frame (as Yjs clients send them) is stored...
                try await outbound.write(.binary(ByteBuffer(bytes: SyncMessage.update(Self.largeUpdate()).encoded())))
                let stored = try await eventually {
                    guard case .string(let name)? = try p.store.documents.load(P.workflowA).map("workflow").get("name")?.toJSON()
                    else { return false }
                    return name.count == 40_000
                }
                #expect(stored)
                // ...a message over the limit closes the socket.
                try await outbound.write(.binary(ByteBuffer(bytes: [UInt8](repeating: 0, count: 100 << 10))))
                for try await _ in inbound {}
            }
            #expect(close?.closeCode == .messageTooLarge)
        }
    }

    /// An update that sets the workflow's name to 40,000 characters.
    static func largeUpdate() throws -> [UInt8] {
        let doc = Doc(clientID: 99)
        doc.transact { txn in doc.map("workflow").set("name", .value(.string(String(repeating: "n", count: 40_000))), txn) }
        return try doc.encodeStateAsUpdate()
    }
}

extension BadInputTests {
    /// Ids are percent-decoded from the path: a run created as `a b/c` is
    /// reachable at `/api/v1/runs/a%20b%2Fc` (found by the API fuzzing work).
    /// An id must be ASCII (session 22: one project's token reached another's
    /// document through an id spelled two ways); `é` is refused, named.
    @Test func idsInThePathArePercentDecoded() async throws {
        let p = try TwoProjects()
        try await p.app.test(.router) { client async throws in
            let created = try await send(client, "/api/v1/runs", P.create("a b/c", workflow: P.workflowA, input: "in-ab"))
            #expect(created.0 == .created, "\(created.1)")
            let (status, body) = try await send(client, .get, "/api/v1/runs/a%20b%2Fc", "")
            #expect(status == .ok && body.contains(#""state":"available""#), "\(body)")
            let broken = try await send(client, .get, "/api/v1/runs/a%zz", "")
            #expect(broken.0 == .badRequest && Self.error(broken.1).field == "id")
            let accented = try await send(client, "/api/v1/runs", P.create("a b/\u{e9}", workflow: P.workflowA, input: "in-e"))
            #expect(accented.0 == .unprocessableContent && accented.1.contains("must be ASCII"), "\(accented.1)")
            let percentAccented = try await send(client, .get, "/api/v1/runs/a%20b%2F%C3%A9", "")
            #expect(percentAccented.0 == .badRequest && Self.error(percentAccented.1).field == "id", "\(percentAccented.1)")
        }
    }
}
