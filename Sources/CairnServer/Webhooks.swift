import CairnKit
import EventLog
import Foundation
import Hummingbird
import JSON
import Logging
import NIOConcurrencyHelpers
import Workflows

/// `POST /i/{trigger_id}` (the reference platform's path): a request to an
/// enabled webhook trigger creates a run whose input is the request's body
/// (docs/http.md, "Webhook triggers"). The trigger's `webhook_reply` says
/// when it answers: `before_start` (the default) at once, 201 with the run
/// id; `after_completion` when the run is final, with its final state.
/// Webhooks authenticate with the trigger's own key (`x-api-key`, when one
/// is set: `cairn trigger key`), never with a project token.
struct Webhooks: Sendable {
    let store: Store
    /// How long an `after_completion` request waits for its run before 504.
    let replyTimeout: Duration
    let limits: RequestLimits
    /// A shutdown answers waiting callers at once (503 with the run id) instead of dropping them.
    let draining: Draining
    private let replies = ReplyModes()

    init(store: Store, replyTimeout: Duration, limits: RequestLimits, draining: Draining = Draining()) {
        self.store = store
        self.replyTimeout = replyTimeout
        self.limits = limits
        self.draining = draining
    }

    func add(to router: Router<BasicRequestContext>) {
        router.post("/i/:trigger") { request, context in
            try await handle(request, triggerId: try context.parameters.decoded("trigger"), logger: context.logger)
        }
    }

    func handle(_ request: Request, triggerId: String, logger: Logger) async throws -> Response {
        guard let trigger = try store.trigger(triggerId), trigger.summary.type == "webhook" else {
            // A cron or kafka trigger has no webhook: as if it did not exist.
            throw APIError.notFound("webhook trigger \(triggerId)")
        }
        guard try store.webhookKeyAdmits(triggerId, given: request.headers[.init("x-api-key")!]) else {
            throw APIError(status: .unauthorized, field: "x-api-key", message: "this webhook needs its key in the x-api-key header")
        }
        guard trigger.summary.enabled else {
            throw APIError(status: .conflict, field: nil, message: "trigger \(triggerId) is disabled: enable it to accept requests")
        }
        let input = try await limits.webhookJSON(request)
        let runId = UUID.random().lowercasedString
        let create = CreateRun(
            runId: runId, workflowId: trigger.workflowId, lockVersion: trigger.lockVersion, startingTriggerId: triggerId,
            input: NewDataclip(type: .httpRequest, body: input.serialized()))
        try limits.check(.createRun(create))
        // Read before the run exists: once it does, a failed read must not
        // become an answer without its id (below).
        let mode = try replies.mode(of: triggerId, in: trigger.workflowId, at: trigger.lockVersion, store: store)
        let outcome = try await store.submit([Submission(id: .random(), command: .createRun(create))])[0]
        if case .rejected(let error) = outcome {
            throw APIError(status: .unprocessableContent, field: error.field, message: error.message)
        }
        guard mode == .afterCompletion else {
            return JSONResponse.make(.object([("run_id", .string(runId))]), status: .created)
        }
        // The run is stored and goes ahead: an error thrown from here on
        // would answer 503 "retry" with no run id, and the retry would
        // create a second run (session 25's review). Every answer names it.
        do {
            return try await reply(whenFinal: runId)
        } catch {
            // The cause is the operator's to read, not the caller's (who may hold no token at all).
            logger.error("webhook \(triggerId): run \(runId) was created, its final state could not be read: \(error)")
            return createdButUnanswered(runId, because: "its final state could not be read")
        }
    }

    /// Waits for run `runId` to be final in the runs projection (which any
    /// process's events reach, so a run completed elsewhere, or replayed,
    /// answers too) and answers with its final state; 504 after the timeout.
    private func reply(whenFinal runId: String) async throws -> Response {
        let deadline = ContinuousClock.now + replyTimeout
        while ContinuousClock.now < deadline {
            try? await store.catchUpProjections()
            // A read that fails (every reader slot taken, an I/O error) is asked again at the next poll.
            if let run = try? store.run(runId), run.state.isFinal {
                return try finalStateResponse(run)
            }
            // Shutting down (or cancelled by it): the caller learns its run's
            // id, so a retry need not create another run.
            if draining.isOn { return shuttingDown(runId) }
            do { try await Task.sleep(for: .milliseconds(100)) } catch { return shuttingDown(runId) }
        }
        return JSONResponse.make(.object([
            ("error", .object([("message", .string("run \(runId) did not finish within \(replyTimeout)"))])),
            ("run_id", .string(runId)),
        ]), status: .gatewayTimeout)
    }

    private func shuttingDown(_ runId: String) -> Response {
        createdButUnanswered(runId, because: "the service is shutting down")
    }

    /// 503 naming the run the request created, so that a caller retrying
    /// does not create another.
    private func createdButUnanswered(_ runId: String, because reason: String) -> Response {
        JSONResponse.make(.object([
            ("error", .object([("message", .string("\(reason); run \(runId) was created"))])),
            ("run_id", .string(runId)),
        ]), status: .serviceUnavailable)
    }

    /// The run's latest webhook response when a step gave one, else its
    /// final state. A response `{"status": 200...599, "body": …}` chooses
    /// both; any other value is the body, with 201.
    private func finalStateResponse(_ run: RunAggregate) throws -> Response {
        if let text = run.webhookResponse, let given = try? JSONParser.parse(text) {
            // 1xx are not final answers (a client would wait for another, or
            // take the body for one): such a status is not honoured.
            if let code = given["status"]?.int64Value, (200...599).contains(code), given.objectValue != nil {
                // These answers have no body: one sent anyway is read as the connection's next answer.
                if [204, 205, 304].contains(code) { return Response(status: HTTPResponse.Status(code: Int(code))) }
                return JSONResponse.make(given["body"] ?? .null, status: HTTPResponse.Status(code: Int(code)))
            }
            return JSONResponse.make(given, status: .created)
        }
        var body: JSONValue = .null
        if let id = run.finalDataclipId, let clip = try store.dataclip(id), let bytes = clip.body {
            body = try JSONParser.parse(bytes)
        }
        return JSONResponse.make(body, status: .created)
    }
}

/// Each webhook trigger's `webhook_reply`, read from its workflow's snapshot
/// once per published version (the event's summary does not carry it).
final class ReplyModes: Sendable {
    enum Mode: Sendable { case beforeStart, afterCompletion }

    private struct Version: Hashable {
        let workflowId: String
        let lockVersion: UInt32
    }
    private let known = NIOLockedValueBox<[Version: [String: Mode]]>([:])

    func mode(of triggerId: String, in workflowId: String, at lockVersion: UInt32, store: Store) throws -> Mode {
        let version = Version(workflowId: workflowId, lockVersion: lockVersion)
        if let modes = known.withLockedValue({ $0[version] }) { return modes[triggerId] ?? .beforeStart }
        var modes: [String: Mode] = [:]
        for trigger in try store.workflow(workflowId, lockVersion: lockVersion)?.triggers ?? [] {
            modes[trigger.id] = trigger.webhookReply == "after_completion" ? .afterCompletion : .beforeStart
        }
        // Bounded: a version's entry is small, and older versions stop being asked for.
        known.withLockedValue { known in
            if known.count > 1_000 { known.removeAll() }
            known[version] = modes
        }
        return modes[triggerId] ?? .beforeStart
    }
}
