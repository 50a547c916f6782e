public import EventLog
public import JSON
public import Projections
public import Scheduler

/// The JSON shapes of the CLI contract (docs/cli.md), built in one place
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

    /// `cursor TRIGGER --json`.
    public static func cursor(_ input: CronInput, body: JSONValue) -> JSONValue {
        .object([
            ("trigger_id", .string(input.triggerId)), ("source", .string(input.source.rawValue)),
            ("dataclip_id", input.dataclipId.map(JSONValue.string) ?? .null), ("body", body),
        ])
    }

    /// One entry of `schedule tick --json`.
    public static func scheduledRun(_ run: ScheduledRun) -> JSONValue {
        .object([
            ("run_id", .string(run.runId)), ("trigger_id", .string(run.triggerId)),
            ("workflow_id", .string(run.workflowId)), ("input_dataclip_id", .string(run.inputDataclipId)),
            ("source", .string(run.source.rawValue)),
        ])
    }

    /// `workflow publish` and `doc publish`.
    public static func publish(_ r: PublishResult) -> JSONValue {
        .object([
            ("workflow_id", .string(r.workflowId)), ("lock_version", .number(Int64(r.lockVersion))),
            ("changed", .bool(r.changed)),
        ])
    }

    /// The outcome of one appended event, as the HTTP API reports it.
    public static func outcome(_ outcome: AppendOutcome) -> JSONValue {
        switch outcome {
        case .appended(let sequence): return .object([("status", .string("appended")), ("sequence", .number(Int64(sequence)))])
        case .duplicate(let sequence): return .object([("status", .string("duplicate")), ("sequence", .number(Int64(sequence)))])
        case .unchanged(let version): return .object([("status", .string("unchanged")), ("lock_version", .number(Int64(version)))])
        case .rejected(let error):
            return .object([
                ("status", .string("rejected")),
                ("error", .object([("field", .string(error.field)), ("message", .string(error.message))])),
            ])
        }
    }
}
