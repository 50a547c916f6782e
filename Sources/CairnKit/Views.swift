public import EventLog
public import JSON

/// The JSON shapes of the CLI contract (DESIGN.md §6.1), built in one place
/// so the CLI and the HTTP API print the same documents.
public enum Views {
    static func time(_ t: Timestamp?) -> JSONValue { t.map { .string($0.iso8601) } ?? .null }
    static func string(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }

    /// `runs show RUN --json`.
    public static func run(_ r: RunAggregate) -> JSONValue {
        .object([
            ("id", .string(r.runId)), ("state", .string(r.state.rawValue)), ("workflow_id", .string(r.workflowId)),
            ("lock_version", .number(Int64(r.lockVersion))), ("project_id", .string(r.projectId)),
            ("starting_trigger_id", string(r.startingTriggerId)), ("input_dataclip_id", .string(r.inputDataclipId)),
            ("final_dataclip_id", string(r.finalDataclipId)), ("claimed_at", time(r.claimedAt)),
            ("started_at", time(r.startedAt)), ("finished_at", time(r.finishedAt)),
            ("error_type", string(r.errorType)), ("error_message", string(r.errorMessage)),
            ("steps", .array(r.steps.map(step))),
        ])
    }

    public static func step(_ s: StepRecord) -> JSONValue {
        .object([
            ("id", .string(s.id)), ("job_id", .string(s.jobId)), ("exit_reason", string(s.exitReason?.rawValue)),
            ("input_dataclip_id", string(s.inputDataclipId)), ("output_dataclip_id", string(s.outputDataclipId)),
            ("started_at", time(s.startedAt)), ("finished_at", time(s.finishedAt)),
        ])
    }

    /// `dataclips show ID --json`: the body as a JSON value, null when wiped.
    public static func dataclip(_ d: Dataclip) -> JSONValue {
        var body = JSONValue.null
        if let bytes = d.body { body = (try? JSONParser.parse(bytes)) ?? .string(String(decoding: bytes, as: UTF8.self)) }
        return .object([
            ("id", .string(d.id)), ("project_id", .string(d.projectId)), ("type", .string(d.type.rawValue)),
            ("wiped_at", time(d.wipedAt)), ("body", body),
        ])
    }
}
