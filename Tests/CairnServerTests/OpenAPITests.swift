import CairnKit
@testable import CairnServer
import Foundation
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing

/// `/openapi.json` (Sources/CairnServer/OpenAPI.swift) against the routers
/// and against real answers: a route added to `makeRouter` or the sync
/// router without its description, or described but gone, fails here.
@Suite struct OpenAPITests {
    typealias P = TwoProjects
    static let webhook = "c1000000-0000-4000-8000-000000000002"
    static let cron = "c1000000-0000-4000-8000-000000000001"
    static let methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    /// The served document, as JSON.
    static func served(_ p: TwoProjects) async throws -> [String: Any] {
        let answer = try await p.app.test(.router) { client in
            try await client.execute(uri: "/openapi.json", method: .get) { response throws in Answer(response) }
        }
        #expect(answer.status == 200)
        #expect(answer.contentType == "application/json")
        return try #require(try JSONSerialization.jsonObject(with: answer.body) as? [String: Any])
    }

    /// What a response said, carried out of the test client's closures.
    struct Answer: Sendable {
        let status: Int
        let contentType: String?
        let requestId: String?
        let body: Data

        init(_ response: TestResponse) {
            status = response.status.code
            contentType = response.headers[.contentType]
            requestId = response.headers[HTTPFields.Element.Name("X-Request-Id")!]
            body = Data(response.body.readableBytesView)
        }
    }

    /// `METHOD /path/{}`: parameters unnamed (the router's `:trigger` is the document's `{trigger_id}`).
    static func key(_ method: String, _ path: String) -> String {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            segment.hasPrefix(":") || (segment.hasPrefix("{") && segment.hasSuffix("}")) ? "{}" : String(segment)
        }
        return "\(method.uppercased()) \(segments.joined(separator: "/"))"
    }

    @Test func everyRouteIsDocumentedAndEveryDocumentedOperationIsRouted() async throws {
        let p = try P()
        let router = makeRouter(store: p.store, configuration: p.configuration)
        let sync = makeSyncRouter(store: p.store, configuration: p.configuration, hub: DocumentHub(store: p.store))
        let routed = Set(router.routes.map { Self.key($0.method.rawValue, $0.path.description) })
            .union(sync.routes.map { Self.key($0.method.rawValue, $0.path.description) })
        // Every route of the service, not an empty walk.
        #expect(routed.count >= 14)
        #expect(routed.contains("GET /api/v1/workflows/{}/sync"))
        #expect(routed.contains("POST /i/{}"))

        let paths = try #require(try await Self.served(p)["paths"] as? [String: [String: Any]])
        var documented = Set<String>()
        for (path, item) in paths {
            for method in Self.methods where item[method] != nil { documented.insert(Self.key(method, path)) }
        }
        #expect(routed.subtracting(documented).sorted() == [], "routed but not in /openapi.json")
        #expect(documented.subtracting(routed).sorted() == [], "in /openapi.json but not routed")
    }

    @Test func securityIsTheBearerOnTheAPIAndTheKeyOnWebhooksOnly() async throws {
        let document = try await Self.served(try P())
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        for (path, item) in paths {
            for method in Self.methods {
                guard let operation = item[method] as? [String: Any] else { continue }
                let security = try #require(operation["security"] as? [[String: Any]], "\(method) \(path)")
                let schemes = security.map { $0.keys.sorted() }
                if path.hasPrefix("/api/v1/") {
                    #expect(schemes == [["bearer"]], "\(method) \(path)")
                } else if path.hasPrefix("/i/") {
                    #expect(schemes == [["webhookKey"], []], "\(method) \(path): the key is optional")
                } else {
                    #expect(schemes == [], "\(method) \(path)")
                }
            }
        }
        let components = try #require(document["components"] as? [String: Any])
        let schemes = try #require(components["securitySchemes"] as? [String: [String: Any]])
        #expect(schemes["bearer"]?["scheme"] as? String == "bearer")
        #expect(schemes["webhookKey"]?["name"] as? String == "x-api-key")
        #expect(schemes["webhookKey"]?["in"] as? String == "header")
    }

    /// Every `$ref` leads somewhere.
    @Test func everyReferenceResolves() async throws {
        let document = try await Self.served(try P())
        var references: [String] = []
        func walk(_ value: Any) {
            if let object = value as? [String: Any] {
                if let target = object["$ref"] as? String { references.append(target) }
                object.values.forEach(walk)
            } else if let array = value as? [Any] {
                array.forEach(walk)
            }
        }
        walk(document)
        #expect(references.count > 50)
        let schema = Schema(document: document)
        for reference in Set(references) { #expect(schema.resolve(reference) != nil, "\(reference)") }
    }

    /// Real answers of every route, each checked against the document: its
    /// status must be documented for the operation, and its body must have
    /// what the schema requires (types, required members, enums), all the way down.
    @Test func realAnswersHaveWhatTheirSchemasRequire() async throws {
        let p = try P()
        let document = try await Self.served(p)
        let schema = Schema(document: document)
        let workflow = P.workflowA
        let create = P.create("r1", workflow: workflow, input: "in-r1", created: 1_780_000_000_000_000)
        let events = """
            [{"event":"run:start","payload":{}},
             {"event":"step:start","payload":{"step_id":"s1","job_id":"\(P.job)"}},
             {"event":"step:complete","payload":{"step_id":"s1","job_id":"\(P.job)","reason":"success","output_dataclip_id":"out1","output_dataclip":"{\\"n\\":1}","mem":{"job":10,"system":20},"duration":5}},
             {"event":"run:log","payload":{"message":"hello","level":"info"}},
             {"event":"run:complete","payload":{"reason":"success","final_dataclip_id":"out1"}}]
            """
        let publish = try Fixtures.sampleWorkflowJSON(project: "p1", workflowId: workflow)
        // (operation path, method, uri, token, body, expected status)
        let calls: [(String, String, String, String?, String?, Int)] = [
            ("/healthz", "get", "/healthz", nil, nil, 200),
            ("/api/v1/runs", "post", "/api/v1/runs", "w1", create, 201),
            ("/api/v1/runs", "post", "/api/v1/runs", "w1", create, 200),
            ("/api/v1/runs", "post", "/api/v1/runs", "w1", #"{"run_id":"r2","workflow_id":"\#(workflow)","input":{"type":"nope","body":1}}"#, 422),
            ("/api/v1/runs", "post", "/api/v1/runs", "w1", "[1", 400),
            ("/api/v1/runs", "post", "/api/v1/runs", nil, create, 401),
            ("/api/v1/runs", "post", "/api/v1/runs", "v1", create, 403),
            ("/api/v1/runs/claim", "post", "/api/v1/runs/claim", "w1", #"{"worker_name":"w","demand":2}"#, 200),
            ("/api/v1/runs/claim", "post", "/api/v1/runs/claim", "w1", #"{"demand":0}"#, 400),
            ("/api/v1/runs/{id}/events", "post", "/api/v1/runs/r1/events", "w1", events, 200),
            ("/api/v1/runs/{id}/events", "post", "/api/v1/runs/r1/events", "w1", #"{"event":"run:start","payload":{"timestamp":1}}"#, 422),
            ("/api/v1/runs/{id}/events", "post", "/api/v1/runs/r1/events", "w1", #"[{"event":"run:log","payload":{"message":"x"}},{"event":"dataclip:wiped","payload":{}}]"#, 422),
            ("/api/v1/runs/{id}/events", "post", "/api/v1/runs/none/events", "w1", "{}", 404),
            ("/api/v1/runs/{id}", "get", "/api/v1/runs/r1", "v1", nil, 200),
            ("/api/v1/runs/{id}", "get", "/api/v1/runs/none", "v1", nil, 404),
            ("/api/v1/runs/{id}", "get", "/api/v1/runs/r1", "t2", nil, 403),
            ("/api/v1/workflows/{id}/runs", "get", "/api/v1/workflows/\(workflow)/runs?limit=10", "v1", nil, 200),
            ("/api/v1/workflows/{id}/runs", "get", "/api/v1/workflows/\(workflow)/runs?limit=0", "v1", nil, 400),
            ("/api/v1/dataclips/{id}", "get", "/api/v1/dataclips/in-r1", "v1", nil, 200),
            ("/api/v1/dataclips/{id}", "get", "/api/v1/dataclips/out1", "v1", nil, 200),
            ("/api/v1/triggers/{id}/cursor", "get", "/api/v1/triggers/\(Self.cron)/cursor", "v1", nil, 200),
            ("/api/v1/triggers/{id}/upcoming", "get", "/api/v1/triggers/\(Self.cron)/upcoming?count=3", "v1", nil, 200),
            ("/api/v1/workflows/{id}/publish", "post", "/api/v1/workflows/\(workflow)/publish", "t1", publish, 200),
            ("/api/v1/workflows/{id}/publish", "post", "/api/v1/workflows/\(workflow)/publish", "t1", "[]", 400),
            ("/api/v1/workflows/{id}/publish", "post", "/api/v1/workflows/\(workflow)/publish", "w1", "", 403),
            ("/i/{trigger_id}", "post", "/i/\(Self.webhook)", nil, #"{"order":7}"#, 201),
            ("/i/{trigger_id}", "post", "/i/\(Self.cron)", nil, "{}", 404),
            ("/api/v1/workflows/{id}/sync", "get", "/api/v1/workflows/\(workflow)/sync", "t1", nil, 404),
        ]
        let answers = try await p.app.test(.router) { client in
            var answers: [Answer] = []
            for (_, method, uri, token, body, _) in calls {
                answers.append(try await client.execute(
                    uri: uri, method: method == "get" ? .get : .post, headers: token.map(P.auth) ?? [:],
                    body: body.map { ByteBuffer(string: $0) }
                ) { response throws in Answer(response) })
            }
            return answers
        }
        var checked = Set<String>()
        for ((path, method, uri, _, _, expected), answer) in zip(calls, answers) {
            let call = "\(method.uppercased()) \(uri) -> \(answer.status)"
            let text = String(decoding: answer.body, as: UTF8.self)
            #expect(answer.status == expected, "\(call): \(text)")
            let documented = try #require(
                schema.response(path: path, method: method, status: answer.status), "\(call) is not documented")
            if documented.headers.contains("X-Request-Id") { #expect(answer.requestId != nil, "\(call): no X-Request-Id") }
            guard let media = documented.content else { continue }
            #expect(answer.contentType == media.type, "\(call)")
            let value = try JSONSerialization.jsonObject(with: answer.body, options: [.fragmentsAllowed])
            #expect(schema.problems(value, media.schema, at: "body") == [], "\(call): \(text)")
            checked.insert("\(method) \(path)")
        }
        #expect(checked.count >= 12)
    }

    /// A webhook's rarer answers: 409 for a disabled trigger, 504 for an
    /// `after_completion` run that does not finish in time.
    @Test func webhookRefusalsFitTheirSchemas() async throws {
        let p = try P()
        let schema = Schema(document: try await Self.served(p))
        let configuration = ServerConfiguration(runScheduler: false, webhookReplyTimeout: .milliseconds(300))
        let app = Application(router: makeRouter(store: p.store, configuration: configuration))
        for (edit, expected) in [((false, nil as String?), 409), ((true, "after_completion"), 504)] {
            try WebhookTests.republish(p, enabled: edit.0, reply: edit.1)
            let answer = try await app.test(.router) { client in
                try await client.execute(uri: "/i/\(Self.webhook)", method: .post, body: ByteBuffer(string: "{}")) { response throws in
                    Answer(response)
                }
            }
            let text = String(decoding: answer.body, as: UTF8.self)
            #expect(answer.status == expected, "\(text)")
            let media = try #require(schema.response(path: "/i/{trigger_id}", method: "post", status: answer.status)?.content)
            let value = try JSONSerialization.jsonObject(with: answer.body)
            #expect(schema.problems(value, media.schema, at: "body") == [], "\(answer.status): \(text)")
        }
    }

    /// The checker itself finds what is missing.
    @Test func theCheckerFindsAMissingMemberAndAWrongType() async throws {
        let schema = Schema(document: try await Self.served(try P()))
        let run: [String: Any] = ["id": "r", "state": "claimed", "steps": []]
        #expect(schema.problems(run, ["$ref": "#/components/schemas/Run"], at: "run").contains("run: no workflow_id"))
        #expect(schema.problems(["state": "flying"], ["$ref": "#/components/schemas/ClaimedRun"], at: "c").count == 2)
        #expect(schema.problems(["runs": [1]], ["$ref": "#/components/schemas/RunList"], at: "l") != [])
        #expect(schema.problems(["status": "ok", "last_sequence": 3], ["$ref": "#/components/schemas/Health"], at: "h") == [])
        let parsed = try JSONSerialization.jsonObject(with: Data(#"{"workflow_id":"w","lock_version":true,"changed":1}"#.utf8))
        #expect(schema.problems(parsed, ["$ref": "#/components/schemas/PublishResult"], at: "p").count == 2)
    }
}

/// Just enough JSON Schema to check answers against the document: `$ref`,
/// `type` (with `null`), `required`, `properties`, `items`, `enum`,
/// `const`, `anyOf` and `oneOf` (at least one must fit).
struct Schema {
    let document: [String: Any]

    func resolve(_ reference: String) -> [String: Any]? {
        guard reference.hasPrefix("#/") else { return nil }
        var node: Any = document
        for part in reference.dropFirst(2).split(separator: "/") {
            guard let next = (node as? [String: Any])?[String(part)] else { return nil }
            node = next
        }
        return node as? [String: Any]
    }

    func dereferenced(_ object: [String: Any]) -> [String: Any] {
        if let reference = object["$ref"] as? String, let target = resolve(reference) { return dereferenced(target) }
        return object
    }

    /// The documented response of an operation for `status`: its media type and schema, if it has a body.
    func response(path: String, method: String, status: Int) -> DocumentedResponse? {
        guard let item = (document["paths"] as? [String: Any])?[path] as? [String: Any],
            let operation = item[method] as? [String: Any],
            let responses = operation["responses"] as? [String: Any],
            let found = responses[String(status)] as? [String: Any]
        else { return nil }
        let response = dereferenced(found)
        guard let content = response["content"] as? [String: Any], let (type, media) = content.first,
            let schema = (media as? [String: Any])?["schema"] as? [String: Any]
        else { return DocumentedResponse(headers: [], content: nil) }
        let headers = (response["headers"] as? [String: Any])?.keys.sorted() ?? []
        return DocumentedResponse(headers: headers, content: (type, schema))
    }

    struct DocumentedResponse {
        /// The headers it names.
        let headers: [String]
        /// Its media type and schema, when it has a body.
        let content: (type: String, schema: [String: Any])?
    }

    func problems(_ value: Any, _ schema: [String: Any], at path: String) -> [String] {
        let schema = dereferenced(schema)
        var found: [String] = []
        if let alternatives = (schema["anyOf"] ?? schema["oneOf"]) as? [[String: Any]],
            !alternatives.contains(where: { problems(value, $0, at: path).isEmpty })
        {
            found.append("\(path): fits none of its alternatives")
        }
        if let types = schema["type"] {
            let names = (types as? [String]) ?? [types as? String].compactMap { $0 }
            if !names.contains(where: { Self.fits(value, $0) }) {
                found.append("\(path): not \(names.joined(separator: " or "))")
                return found
            }
        }
        if let allowed = schema["enum"] as? [String], let text = value as? String, !allowed.contains(text) {
            found.append("\(path): '\(text)' is not one of \(allowed)")
        }
        if let constant = schema["const"] as? String, (value as? String) != constant {
            found.append("\(path): not '\(constant)'")
        }
        if let object = value as? [String: Any] {
            for member in schema["required"] as? [String] ?? [] where object[member] == nil {
                found.append("\(path): no \(member)")
            }
            for (name, member) in schema["properties"] as? [String: Any] ?? [:] {
                if let given = object[name], let member = member as? [String: Any] {
                    found += problems(given, member, at: "\(path).\(name)")
                }
            }
        }
        if let array = value as? [Any], let items = schema["items"] as? [String: Any] {
            for (index, item) in array.enumerated() { found += problems(item, items, at: "\(path)[\(index)]") }
        }
        return found
    }

    static func fits(_ value: Any, _ type: String) -> Bool {
        switch type {
        case "null": return value is NSNull
        case "object": return value is [String: Any]
        case "array": return value is [Any]
        case "string": return value is String
        case "boolean": return isBoolean(value)
        case "integer":
            guard !isBoolean(value), let number = value as? NSNumber else { return false }
            return number.doubleValue.rounded() == number.doubleValue
        case "number": return !isBoolean(value) && value is NSNumber
        default: return false
        }
    }

    /// JSONSerialization's `true` and `false`: NSNumbers of a `char`. (`value is Bool` holds for any 0 or 1.)
    static func isBoolean(_ value: Any) -> Bool {
        guard let number = value as? NSNumber else { return false }
        return String(cString: number.objCType) == "c"
    }
}
