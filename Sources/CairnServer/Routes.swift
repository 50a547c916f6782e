public import CairnKit
import Cron
import EventLog
import Foundation
public import Hummingbird
import JSON
import Projections
import Scheduler

/// The HTTP API of docs/http.md over one store: the worker protocol
/// (§4.3) as JSON, queries for runs, dataclips, cursors and fire times,
/// publishing, health and metrics.
public func makeRouter(
    store: Store, configuration: ServerConfiguration, draining: Draining = Draining(), metrics: ServerMetrics? = nil
) -> Router<BasicRequestContext> {
    let router = Router()
    let metrics = metrics ?? ServerMetrics(store: store)  // docs/operations.md, "Metrics"
    let auth = Authorization(store: store, rejected: { metrics.tokenRejected($0) })
    let limits = configuration.limits
    // First: every answer is logged and counted, JSON errors and a drain's 503s included.
    router.add(middleware: RequestObserver(metrics: metrics))
    router.add(middleware: JSONErrors())
    router.add(middleware: RefuseWhileDraining(draining: draining))
    router.add(middleware: TokenGate(auth: auth))

    // Degraded, not down: events are still recorded, but reads lag behind them.
    router.get("/healthz") { _, _ in
        var members: [(key: String, value: JSONValue)] = [("last_sequence", .number(Int64(try store.lastSequence())))]
        if let lag = store.projectionLag {
            members.insert(("status", .string("degraded")), at: 0)
            members.append(("projection_error", .string(lag)))
        } else {
            members.insert(("status", .string("ok")), at: 0)
        }
        return JSONResponse.make(.object(members))
    }

    router.get("/metrics") { _, _ in try metrics.response() }

    router.get("/openapi.json") { _, _ in JSONResponse.make(OpenAPI.document) }

    Webhooks(store: store, replyTimeout: configuration.webhookReplyTimeout, limits: limits, draining: draining).add(to: router)

    // run:created. The project comes from the workflow's latest snapshot.
    router.post("/api/v1/runs") { request, _ in
        // The role before the body: a viewer's 403 costs no read of it.
        let caller = try auth.caller(request, needs: .worker)
        let payload = try await limits.json(request)
        let workflowId = payload["workflow_id"]?.stringValue ?? ""
        try auth.check(caller, owner: try store.snapshot(workflowId)?.summary.projectId, what: "workflow \(workflowId)")
        let outcome = try await append(store, event: "run:created", object: .object([("event", .string("run:created")), ("payload", payload)]), limits: limits)
        return JSONResponse.make(Views.outcome(outcome), status: status(outcome))
    }

    // Claim available runs of the token's project (oldest first), like a worker asking for work.
    router.post("/api/v1/runs/claim") { request, _ in
        let project = try auth.caller(request, needs: .worker).project
        let payload = try await limits.json(request, allowEmpty: true)
        guard payload.objectValue != nil else {
            throw APIError.badRequest("the body must be an object {worker_name, demand}; found \(payload.kindDescription)", field: "body")
        }
        var worker = "worker"
        if let given = payload["worker_name"], !given.isNull {
            guard let name = given.stringValue else { throw APIError.badRequest("must be a string", field: "worker_name") }
            // Copied into every run claimed: cut as the worker protocol cuts it.
            worker = WorkerProtocol.truncated(name, toBytes: WorkerProtocol.labelBytes)
        }
        var demand = 1
        if let given = payload["demand"], !given.isNull {
            guard let count = given.int64Value, (1...100).contains(count) else {
                throw APIError.badRequest("must be an integer from 1 to 100", field: "demand")
            }
            demand = Int(count)
        }
        var committed: [String] = []
        // Only the token's project's runs are read: another project's backlog cannot starve this claim.
        for run in try store.availableRuns(project: project, limit: demand * 4) {
            if committed.count >= demand { break }
            let submission = Submission(id: .random(), command: .claimRun(runId: run.runId, workerName: worker, timestamp: nil))
            do {
                if case .appended = try await store.submit([submission])[0] { committed.append(run.runId) }
            } catch _ where !committed.isEmpty {
                // Runs already claimed must reach this worker: nobody else will be given them.
                break
            }
        }
        return JSONResponse.make(.object([("runs", .array(committed.map { claimedView(store, $0) }))]))
    }

    // One event or an array of them for a run; run_id comes from the path.
    router.post("/api/v1/runs/:id/events") { request, context in
        let runId = try context.parameters.decoded("id")
        let caller = try auth.caller(request, needs: .worker)
        try auth.check(caller, owner: try projectOfRun(store, runId), what: "run \(runId)")
        var submissions: [Submission] = []
        var results: [JSONValue?] = []
        let single: Bool
        // The parsed body is let go before the append is awaited: several
        // times its size, held by every request waiting for the writer.
        do {
            let value = try await limits.json(request)
            single = value.arrayValue == nil
            let items = value.arrayValue ?? [value]
            guard items.count <= limits.eventsPerRequest else {
                throw APIError(
                    status: .contentTooLarge, field: "events",
                    message: "\(items.count) events exceed the limit of \(limits.eventsPerRequest) a request (send them in several)")
            }
            for item in items {
                guard var members = item.objectValue else { throw APIError.badRequest("each event must be an object") }
                if let name = item["event"]?.stringValue, let refusal = WorkerEvents.refusal(of: name) {
                    results.append(Views.outcome(.rejected(refusal)))
                    continue
                }
                var payload = item["payload"]?.objectValue ?? []
                if !payload.contains(where: { $0.key == "run_id" }) { payload.append(("run_id", .string(runId))) }
                guard payload.last(where: { $0.key == "run_id" })?.value.stringValue == runId else {
                    throw APIError.badRequest("payload run_id differs from the path", field: "run_id")
                }
                members.removeAll { $0.key == "payload" }
                members.append(("payload", .object(payload)))
                do {
                    var name: String?
                    let submission = try WorkerProtocol.decodeLine(JSONValue.object(members).serialized(), name: &name, salt: store.eventIdSalt)
                    // What is written, not what the payload seemed to say, must be the path's run.
                    guard submission.command.runId == runId else {
                        throw APIError.badRequest("the event is not about run \(runId)", field: "run_id")
                    }
                    try limits.check(submission.command)
                    submissions.append(submission)
                    results.append(nil)
                } catch let error as EventLogError {
                    results.append(Views.outcome(.rejected(error)))
                }
            }
        }
        var outcomes = try await store.submit(submissions).makeIterator()
        let answers = results.map { $0 ?? Views.outcome(outcomes.next()!) }
        let rejected = answers.contains { $0["status"]?.stringValue == "rejected" }
        return JSONResponse.make(single ? answers[0] : .array(answers), status: rejected ? .unprocessableContent : .ok)
    }

    router.get("/api/v1/runs/:id") { request, context in
        let id = try context.parameters.decoded("id")
        let caller = try auth.caller(request, needs: .viewer)
        guard let run = try store.currentRun(id) else { throw APIError.notFound("run \(id)") }
        try auth.check(caller, owner: run.projectId, what: "run \(id)")
        return JSONResponse.make(Views.run(run))
    }

    router.get("/api/v1/workflows/:id/runs") { request, context in
        let id = try context.parameters.decoded("id")
        let caller = try auth.caller(request, needs: .viewer)
        try auth.check(caller, owner: try store.snapshot(id)?.summary.projectId, what: "workflow \(id)")
        let limit = try pageSize(request.uri.queryParameters["limit"])
        return JSONResponse.make(.object([("runs", .array(try store.runs(ofWorkflow: id, limit: limit).map(Views.run)))]))
    }

    router.get("/api/v1/dataclips/:id") { request, context in
        let id = try context.parameters.decoded("id")
        let caller = try auth.caller(request, needs: .viewer)
        guard let dataclip = try store.dataclip(id) else { throw APIError.notFound("dataclip \(id)") }
        try auth.check(caller, owner: dataclip.projectId, what: "dataclip \(id)")
        return JSONResponse.make(Views.dataclip(dataclip))
    }

    router.get("/api/v1/triggers/:id/cursor") { request, context in
        let id = try context.parameters.decoded("id")
        let caller = try auth.caller(request, needs: .viewer)
        guard let trigger = try store.trigger(id) else { throw APIError.notFound("trigger \(id)") }
        try auth.check(caller, owner: trigger.projectId, what: "trigger \(id)")
        guard let view = try store.cursorView(id) else { throw APIError.notFound("trigger \(id)") }
        return JSONResponse.make(view)
    }

    router.get("/api/v1/triggers/:id/upcoming") { request, context in
        let id = try context.parameters.decoded("id")
        let caller = try auth.caller(request, needs: .viewer)
        guard let trigger = try store.trigger(id) else { throw APIError.notFound("trigger \(id)") }
        try auth.check(caller, owner: trigger.projectId, what: "trigger \(id)")
        let count = try boundedInteger(request.uri.queryParameters["count"], name: "count", default: 5, in: 1...1_000)
        let times = trigger.schedule?.next(count, after: Date()) ?? []
        return JSONResponse.make(.object([
            ("trigger_id", .string(id)), ("fires_at", .array(times.map { .string(Timestamp($0).iso8601) })),
        ]))
    }

    // Publish: a workflow JSON body (like `workflow publish`), or no body to publish the document.
    router.post("/api/v1/workflows/:id/publish") { request, context in
        let id = try context.parameters.decoded("id")
        let caller = try auth.caller(request, needs: .editor)
        let value = try await limits.json(request, allowEmpty: true)
        guard case .object(let members) = value else {
            throw APIError.badRequest(
                "the body must be a workflow JSON object, or empty to publish the document; found \(value.kindDescription)",
                field: "body")
        }
        do {
            let result: PublishResult
            if !members.isEmpty {
                let workflow = try WorkflowJSONBridge.decode(value)
                guard workflow.id == id else { throw APIError.badRequest("the body's id differs from the path", field: "id") }
                try auth.check(caller, owner: workflow.projectId, what: "project \(workflow.projectId)")
                // Its snapshot's project, or the project of a draft never published under that id.
                if let existing = try store.documentOwner(id) {
                    try auth.check(caller, owner: existing, what: "workflow \(id)")
                } else if caller.project != nil, try store.documentExists(id) {
                    // A draft nobody owns is the operator's to claim (`cairn doc publish --project`), not a token's.
                    throw APIError.forbidden("workflow \(id)")
                }
                // A write transaction (an fsync): off the cooperative pool.
                // Checked again in the publish's transaction: a first write of
                // another project's editor may land in between.
                result = try await offPool { try store.publish(workflow, actor: caller.actor, publisher: caller.project) }
            } else {
                let project = caller.project
                guard try store.mayEditDocument(id, project: project) else { throw APIError.forbidden("workflow \(id)") }
                guard try store.documentExists(id) else { throw APIError.notFound("document \(id)") }
                // Checked again in the publish's transaction: the document may have
                // been first written by another project's editor since.
                result = try await offPool {
                    try store.publishDocument(id, projectId: project, actor: caller.actor, publisher: project)
                }
            }
            return JSONResponse.make(Views.publish(result))
        } catch let error as PublishError {
            throw APIError(status: .unprocessableContent, field: nil, message: error.description)
        } catch is DocumentAccessError {
            throw APIError.forbidden("workflow \(id)")
        }
    }

    return router
}

/// The project of run `id`: from the runs projection, else from the log's
/// own stream. The log is the truth; the projection may lag behind it (its
/// catch-up failed, `Store.projectionLag`), and a worker must still be able
/// to report on a run it was given.
func projectOfRun(_ store: Store, _ id: String) throws -> String? {
    if let run = try? store.run(id) { return run.projectId }
    return try store.runFromLog(id)?.projectId
}

/// The answer for run `id`, claimed by this request: read from the log,
/// which has the claim, not from the projection, which may lag behind it
/// (`Store.projectionLag`) and still show the run as available. Never
/// throws: the claim committed and must be answered (docs/http.md).
func claimedView(_ store: Store, _ id: String) -> JSONValue {
    if let run = (try? store.runFromLog(id)) ?? nil { return Views.run(run) }
    return .object([("id", .string(id)), ("state", .string(RunState.claimed.rawValue))])
}

/// The largest page `GET /api/v1/workflows/{id}/runs` returns (docs/http.md).
let maxPageSize = 1_000

/// `limit` of a paged query: 100 when absent; 400 unless an integer in 1...`maxPageSize`.
func pageSize(_ raw: Substring?) throws -> Int {
    try boundedInteger(raw, name: "limit", default: 100, in: 1...maxPageSize)
}

/// A query parameter that must be an integer in `range`: `default` when
/// absent, 400 naming it otherwise (never a silent fallback).
func boundedInteger(_ raw: Substring?, name: String, default value: Int, in range: ClosedRange<Int>) throws -> Int {
    guard let raw else { return value }
    guard let number = Int(raw), range.contains(number) else {
        throw APIError.badRequest(
            "\(name) must be an integer from \(range.lowerBound) to \(range.upperBound), found '\(raw)'", field: name)
    }
    return number
}

/// Appends one worker event given as `{"event", "id"?, "payload"}`.
func append(_ store: Store, event: String, object: JSONValue, limits: RequestLimits) async throws -> AppendOutcome {
    var name: String?
    let submission: Submission
    do {
        submission = try WorkerProtocol.decodeLine(object.serialized(), name: &name, salt: store.eventIdSalt)
    } catch {
        return .rejected(error)
    }
    try limits.check(submission.command)
    return try await store.submit([submission])[0]
}

func status(_ outcome: AppendOutcome) -> HTTPResponse.Status {
    switch outcome {
    case .appended: return .created
    case .duplicate, .unchanged: return .ok
    case .rejected: return .unprocessableContent
    }
}
