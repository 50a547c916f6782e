import CairnKit
import EventLog
import Foundation
import JSON
import Projections

/// **Run now** (docs/page.md): a run of the trigger's workflow, started by
/// the cron trigger as if it fired now, whose input is exactly the
/// dataclip the page showed as the next input (or a new `{}` when that was
/// empty). The same `run:created` as `POST /api/v1/runs`, through the same
/// checks and group commit.
struct RunNow {
    /// What the page sends for "empty: {}": nothing (an empty value), which
    /// no id may be, so a dataclip cannot be named like it (one named
    /// `empty` was taken for the empty input).
    static let emptyInput = ""

    static func label(_ input: String) -> String { input == emptyInput ? "empty" : input }

    let store: Store
    let limits: RequestLimits

    /// Creates the run; returns its id. `expected` is what the page showed:
    /// the next input's dataclip id, or `RunNow.emptyInput`. If the next input changed
    /// since (a run finished, the source changed), nothing is created: 409.
    func run(trigger: TriggerRecord, expected: String?) async throws -> String {
        guard let input = try store.nextCronInput(trigger.id) else { throw PageError.notFound("trigger \(trigger.id)") }
        let current = input.dataclipId ?? Self.emptyInput
        guard let expected else {
            throw PageError.badRequest("expected: the next input the page showed is missing; reload the page")
        }
        guard expected == current else {
            throw PageError(
                status: .conflict,
                message: "the next input changed since the page was shown (it was \(Self.label(expected)), it is now \(Self.label(current))); nothing was run: look again and press Run now")
        }
        let runId = UUID.random().lowercasedString
        var payload: [(key: String, value: JSONValue)] = [
            ("run_id", .string(runId)), ("workflow_id", .string(trigger.workflowId)),
            ("lock_version", .number(Int64(trigger.lockVersion))), ("starting_trigger_id", .string(trigger.id)),
        ]
        if let dataclipId = input.dataclipId {
            payload.append(("input_dataclip_id", .string(dataclipId)))
        } else {
            payload.append(("input", .object([("type", .string("global")), ("body", .object([]))])))
        }
        let outcome = try await append(
            store, event: "run:created",
            object: .object([("event", .string("run:created")), ("payload", .object(payload))]), limits: limits)
        switch outcome {
        case .appended, .duplicate: return runId
        case .unchanged: return runId
        case .rejected(let error):
            throw PageError(status: .unprocessableContent, message: "the run was refused: \(error.field): \(error.message)")
        }
    }
}
