// The body (and path id) of each HTTP route that reads one -> the decoders
// the route runs, in the order it runs them.
//
// CairnServer is not a library product of the main package, so neither its
// router (`makeRouter`, which HummingbirdTesting could drive in process) nor
// its internal helpers (`RequestLimits.json`/`check`, `WorkerEvents`,
// `Parameters.decoded`, `WorkflowJSONBridge`) are reachable from this
// package. What each route does with its body between reading it and the
// store is therefore reproduced below from Sources/CairnServer/Routes.swift
// and Webhooks.swift (as of commit 0bf3625), calling the same public
// decoders: JSONParser, WorkerProtocol.decodeLine, WorkflowJSON.decode.
// Fuzz/README.md says what this misses and what would make the router itself
// reachable.
//
// Input: byte 0 picks the route; up to the first newline is the path's id
// (percent-encoded, as the router hands it over); the rest is the body.
import EventLog
import Foundation
import FuzzSupport
import JSON
import Workflows

enum Route: UInt8, CaseIterable {
    case createRun = 0  // POST /api/v1/runs
    case claim  // POST /api/v1/runs/claim
    case events  // POST /api/v1/runs/{id}/events
    case publish  // POST /api/v1/workflows/{id}/publish
    case webhook  // POST /i/{trigger}
}

/// `RequestLimits.json`: an empty body is `{}` where allowed, else JSON or 400.
func json(_ body: [UInt8], allowEmpty: Bool) -> JSONValue? {
    if body.isEmpty && allowEmpty { return .object([]) }
    return try? JSONParser.parse(body)
}

/// `RequestLimits.check`: the sizes of the dataclips a command would create.
func dataclipSizes(_ command: Command) -> [Int?] {
    switch command {
    case .createRun(let c): return [c.input?.body.count]
    case .completeStep(let c): return [c.outputDataclip?.count, c.webhookResponse?.count]
    case .completeRun(let c): return [c.finalState?.serialized().count]
    default: return []
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPBodies(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = [UInt8](UnsafeRawBufferPointer(start: start, count: count))
    guard let first = bytes.first else { return 0 }
    let route = Route(rawValue: first % UInt8(Route.allCases.count))!
    let rest = bytes.dropFirst()
    let newline = rest.firstIndex(of: 0x0A)
    let rawId = String(decoding: rest[..<(newline ?? rest.startIndex)], as: UTF8.self)
    let body = Array(newline.map { rest[($0 + 1)...] } ?? rest)
    // `Parameters.decoded`: the path id, percent-decoded, 400 when broken.
    guard let id = rawId.removingPercentEncoding else { return 0 }

    switch route {
    case .createRun:
        guard let payload = json(body, allowEmpty: false) else { return 0 }
        _ = payload["workflow_id"]?.stringValue ?? ""
        let line = JSONValue.object([("event", .string("run:created")), ("payload", payload)]).serialized()
        var name: String?
        if let submission = try? WorkerProtocol.decodeLine(line, name: &name) {
            require(name == "run:created", "POST /api/v1/runs decoded \(String(describing: name))")
            guard case .createRun = submission.command else {
                require(false, "POST /api/v1/runs decoded a \(submission.command.eventName) command")
                return 0
            }
            _ = dataclipSizes(submission.command)
        }

    case .claim:
        guard let payload = json(body, allowEmpty: true), payload.objectValue != nil else { return 0 }
        if let given = payload["worker_name"], !given.isNull { _ = given.stringValue }
        if let given = payload["demand"], !given.isNull, let n = given.int64Value, (1...100).contains(n) { _ = Int(n) }

    case .events:
        guard let value = json(body, allowEmpty: false) else { return 0 }
        for item in value.arrayValue ?? [value] {
            guard var members = item.objectValue else { return 0 }  // 400: each event must be an object
            if let name = item["event"]?.stringValue, let kind = EventKind(rawValue: name),
               ![.runClaimed, .runStarted, .stepStarted, .stepCompleted, .runCompleted, .runLogged, .runLost, .runCancelled].contains(kind) {
                continue  // refused: not a run's event
            }
            var payload = item["payload"]?.objectValue ?? []
            if !payload.contains(where: { $0.key == "run_id" }) { payload.append(("run_id", .string(id))) }
            guard payload.last(where: { $0.key == "run_id" })?.value.stringValue == id else { return 0 }  // 400
            members.removeAll { $0.key == "payload" }
            members.append(("payload", .object(payload)))
            var name: String?
            guard let submission = try? WorkerProtocol.decodeLine(JSONValue.object(members).serialized(), name: &name) else { continue }
            // The route refuses (400) an event about another run; the decoder must not make one silently.
            if submission.command.runId == id { _ = dataclipSizes(submission.command) }
        }

    case .publish:
        guard let value = json(body, allowEmpty: true), case .object(let members) = value, !members.isEmpty else { return 0 }
        guard let workflow = try? WorkflowJSON.decode(value) else { return 0 }
        _ = workflow.id == id
        _ = WorkflowValidator.problems(in: workflow)

    case .webhook:
        guard let input = json(body, allowEmpty: true) else { return 0 }
        let stored = input.serialized()
        let create = CreateRun(
            runId: "00000000-0000-4000-8000-000000000000", workflowId: "w", lockVersion: 1, startingTriggerId: id,
            input: NewDataclip(type: .httpRequest, body: stored))
        _ = dataclipSizes(.createRun(create))
        require((try? JSONParser.parse(stored)) == input, "a webhook body is not stored as it came")
    }
    return 0
}

// SwiftPM's entry for this executable; see FuzzSupport/Driver.swift.
@_cdecl("fuzz_http_bodies_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzHTTPBodies)
}
