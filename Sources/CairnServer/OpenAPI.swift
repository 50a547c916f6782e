import JSON

/// The OpenAPI 3.1 description of the service, served at `/openapi.json`
/// (docs/http.md): every route of `makeRouter` and the sync socket of
/// `makeSyncRouter`, with their parameters, request bodies, the answers of
/// each status as the handlers and `Views` write them, and who may call
/// them. `Tests/CairnServerTests/OpenAPITests.swift` fails when a route is
/// missing here or here but not routed; `tools/api-fuzz` checks real
/// answers against it.
///
/// Built from small parts: schemas, parameters and error responses live in
/// `components` and operations name them with `$ref`.
enum OpenAPI {
    static let version = "3.1.0"

    static let document: JSONValue = obj(
        ("openapi", .string(version)),
        ("info", obj(
            ("title", .string("Cairn")),
            ("version", .string("0.1.0")),
            ("description", .string(
                "The worker protocol, queries, publishing, webhook triggers and document sync of `cairn serve` "
                    + "(docs/http.md). Routes under /api/v1 take a project token (`Authorization: Bearer cairn_…`, "
                    + "made with `cairn token create`). A store with no token at all serves them without one, on "
                    + "loopback, to direct requests from this machine only: one naming another host or carrying "
                    + "`Origin`, `Forwarded` or `X-Forwarded-For` is 403, one with a bearer token 401. Every refusal "
                    + "is `{\"error\":{\"field\"?,\"message\"}}` with its status; every answer of the HTTP routes "
                    + "carries `X-Request-Id`, the id of its line in the server's log.")))),
        ("paths", paths),
        ("components", obj(
            ("securitySchemes", securitySchemes),
            ("parameters", parameters),
            ("headers", headers),
            ("responses", errorResponses),
            ("schemas", schemas))))

    // MARK: Operations

    static var paths: JSONValue {
        obj(
            ("/healthz", obj(("get", operation(
                "health", "Liveness, and the log's last sequence",
                "`degraded` with `projection_error` while the projections are behind the log.",
                security: .anyone,
                responses: [("200", json("Up", ref("Health")))], errors: [503])))),
            ("/metrics", obj(("get", operation(
                "metrics", "Prometheus metrics",
                "Events in the log, requests by status class, time spent in requests.",
                security: .anyone,
                responses: [("200", response("Prometheus text format", content: [
                    ("text/plain", obj(("schema", obj(("type", .string("string")))))),
                ]))], errors: [503])))),
            ("/openapi.json", obj(("get", operation(
                "openapi", "This document", nil,
                security: .anyone,
                responses: [("200", json("The OpenAPI document", obj(("type", .string("object")))))], errors: [503])))),
            ("/i/{trigger_id}", obj(
                ("parameters", .array([ref("TriggerId", in: "parameters")])),
                ("post", operation(
                    "fireWebhook", "Fire a webhook trigger",
                    "Creates a run of the trigger's workflow (at the version holding the trigger) whose input is a new "
                        + "`http_request` dataclip holding the body (empty is `{}`). `webhook_reply: before_start` (the "
                        + "default) answers at once with the run id; `after_completion` answers once the run is final: "
                        + "with the run's latest `webhook_response` (of `step:complete`) when a step gave one, where "
                        + "`{\"status\": 200-599, \"body\"}` chooses the status and body and any other JSON is the body "
                        + "(201); else 201 with its final state (`null` when it has none); or 504 after "
                        + "`serve --webhook-timeout`, or 503 if the service shuts down meanwhile (both with the run id). "
                        + "404 for an unknown, cron or kafka trigger; 409 when it is disabled; 401 when the trigger "
                        + "has a key (`cairn trigger key`) and `x-api-key` does not carry it.",
                    security: .webhookKey,
                    body: requestBody(
                        "Any JSON: the new run's input", required: false, schema: ref("AnyJSON"),
                        example: obj(("order", obj(("id", .number(7)))))),
                    responses: [
                        ("201", response("The run was created", content: [
                            ("application/json", obj(("schema", ref("WebhookReply")))),
                        ], links: [("GetRun", link("getRun", id: "$response.body#/run_id"))])),
                        ("503", json(
                            "The service is shutting down (an `after_completion` request already waiting learns its run id)",
                            obj(("anyOf", .array([ref("RunPending"), ref("Error")]))))),
                        ("504", json("`after_completion`: the run did not finish in time (it goes on)", ref("RunPending"))),
                        ("default", json(
                            "`after_completion`: the status a step's `webhook_response` chose (200-599), with its `body` (none for 204, 205 and 304)",
                            ref("AnyJSON"))),
                    ],
                    errors: [400, 401, 404, 409, 413, 422, 507])))),
            ("/api/v1/runs", obj(("post", operation(
                "createRun", "Create a run (`run:created`)",
                "The body is the worker protocol's `run:created` payload. The workflow must be the token's "
                    + "project's (403 another's, 404 none). Re-sending the same payload is a duplicate (200).",
                security: .worker,
                body: requestBody("`run:created` payload", schema: ref("RunCreatedPayload"), example: Examples.runCreated),
                responses: [
                    ("201", response("Appended", content: [("application/json", obj(("schema", ref("Appended"))))],
                        links: [
                            ("GetRun", link("getRun", id: "$request.body#/run_id")),
                            ("PostRunEvents", link("postRunEvents", id: "$request.body#/run_id")),
                        ])),
                    ("200", json("Already recorded", ref("Duplicate"))),
                    ("422", json("The event breaks a rule (the field is named)", ref("Rejected"))),
                ],
                errors: [400, 401, 403, 404, 413, 503, 507])))),
            ("/api/v1/runs/claim", obj(("post", operation(
                "claimRuns", "Claim available runs",
                "Claims up to `demand` available runs of the token's project, oldest first (creation time, then id). "
                    + "An empty body claims one run for worker `worker`.",
                security: .worker,
                body: requestBody(
                    "Who claims, and how many", required: false, schema: ref("ClaimRequest"),
                    example: obj(("worker_name", .string("w1")), ("demand", .number(1)))),
                responses: [("200", json("The runs claimed (maybe none)", ref("ClaimResult")))],
                errors: [400, 401, 403, 413, 503, 507])))),
            ("/api/v1/runs/{id}/events", obj(
                ("parameters", .array([ref("RunId", in: "parameters")])),
                ("post", operation(
                    "postRunEvents", "Report events about a run",
                    "One worker event, or an array of them, about the path's run: `run:claimed`, `run:start`, "
                        + "`step:start`, `step:complete`, `run:complete`, `run:log`, `run:lost`, `run:cancelled`. "
                        + "`payload.run_id` defaults to the path's and must equal it (400 otherwise). Each event is "
                        + "answered `appended`, `duplicate` or `rejected`, in order (an array for an array); 422 when "
                        + "any was rejected (other event kinds are rejected, field `event`).",
                    security: .worker,
                    body: requestBody("One event or an array of events", schema: ref("WorkerEvents"), example: Examples.events),
                    responses: [
                        ("200", json("Every event appended or already recorded", ref("Outcomes"))),
                        ("422", json("At least one event was rejected; the others' outcomes as for 200", ref("Outcomes"))),
                    ],
                    errors: [400, 401, 403, 404, 413, 503, 507])))),
            ("/api/v1/runs/{id}", obj(
                ("parameters", .array([ref("RunId", in: "parameters")])),
                ("get", operation(
                    "getRun", "A run with its steps", "As `cairn runs show --json`.",
                    security: .viewer,
                    responses: [("200", response("The run", content: [("application/json", obj(("schema", ref("Run"))))], links: [
                        ("GetInputDataclip", link("getDataclip", id: "$response.body#/input_dataclip_id")),
                        ("PostRunEvents", link("postRunEvents", id: "$response.body#/id")),
                    ]))],
                    errors: [401, 403, 404, 503])))),
            ("/api/v1/workflows/{id}/runs", obj(
                ("parameters", .array([ref("WorkflowId", in: "parameters")])),
                ("get", operation(
                    "listWorkflowRuns", "A workflow's runs, newest first", nil,
                    security: .viewer,
                    parameters: [ref("Limit", in: "parameters")],
                    responses: [("200", response("A page of runs", content: [("application/json", obj(("schema", ref("RunList"))))], links: [
                        ("GetFirstRun", link("getRun", id: "$response.body#/runs/0/id")),
                    ]))],
                    errors: [400, 401, 403, 404, 503])))),
            ("/api/v1/dataclips/{id}", obj(
                ("parameters", .array([ref("DataclipId", in: "parameters")])),
                ("get", operation(
                    "getDataclip", "A dataclip", "As `cairn dataclips show --json`; `body` is null once wiped.",
                    security: .viewer,
                    responses: [("200", json("The dataclip", ref("Dataclip")))],
                    errors: [401, 403, 404, 503])))),
            ("/api/v1/triggers/{id}/cursor", obj(
                ("parameters", .array([ref("TriggerPathId", in: "parameters")])),
                ("get", operation(
                    "getCursor", "The input a trigger's next cron run would get", "As `cairn cursor --json`.",
                    security: .viewer,
                    responses: [("200", json("The cursor", ref("Cursor")))],
                    errors: [401, 403, 404, 503])))),
            ("/api/v1/triggers/{id}/upcoming", obj(
                ("parameters", .array([ref("TriggerPathId", in: "parameters")])),
                ("get", operation(
                    "getUpcoming", "A trigger's next fire times",
                    "Empty for a trigger without a schedule (a webhook).",
                    security: .viewer,
                    parameters: [ref("Count", in: "parameters")],
                    responses: [("200", json("Its next fire times", ref("Upcoming")))],
                    errors: [400, 401, 403, 404, 503])))),
            ("/api/v1/workflows/{id}/publish", obj(
                ("parameters", .array([ref("WorkflowId", in: "parameters")])),
                ("post", operation(
                    "publishWorkflow", "Publish a workflow",
                    "A workflow JSON body (as `cairn workflow publish`; its `id` must be the path's and its project "
                        + "the token's), or an empty body (or `{}`) to publish the stored document (404 when there is "
                        + "none). Any other body is 400 naming `body`; a workflow that does not validate is 422.",
                    security: .editor,
                    body: requestBody(
                        "A workflow, or nothing", required: false, schema: ref("PublishRequest"), example: Examples.workflow),
                    responses: [("200", json("Published (or unchanged: `changed` false)", ref("PublishResult")))],
                    errors: [400, 401, 403, 404, 413, 422, 503, 507])))),
            ("/api/v1/workflows/{id}/sync", obj(
                ("parameters", .array([ref("WorkflowId", in: "parameters")])),
                ("get", operation(
                    "syncDocument", "Edit a workflow's document (WebSocket, y-protocols)",
                    "A WebSocket upgrade (`Connection: Upgrade`, `Upgrade: websocket`). Binary frames speak "
                        + "y-protocols: the server opens with sync step 1; updates are checked and stored before "
                        + "they are relayed to the room's other editors; awareness frames are relayed as they are. "
                        + "A message over `serve --max-socket-message-mb` closes the socket (1009). An upgrade is "
                        + "refused with 400 and no body: no usable token, a role below editor, another project's "
                        + "document (or one nobody owns), or a service shutting down. A request that asks for no "
                        + "upgrade is the HTTP routes', which have no such route: 404 once its token passes.",
                    security: .editor,
                    responses: [
                        ("101", obj(
                            ("description", .string("Switched to the WebSocket protocol")),
                            ("headers", obj(("X-Request-Id", ref("RequestId", in: "headers")))))),
                        ("400", obj(("description", .string("The upgrade was refused (no body)")))),
                    ],
                    errors: [401, 403, 404, 503])))))
    }

    // MARK: Security

    /// Who may call an operation (`security` of an operation).
    enum Security {
        case anyone, webhookKey, viewer, worker, editor

        var requirement: JSONValue {
            switch self {
            case .anyone: return .array([])
            // The key is optional: a trigger without one takes any request.
            case .webhookKey: return .array([obj(("webhookKey", .array([]))), obj()])
            case .viewer, .worker, .editor: return .array([obj(("bearer", .array([])))])
            }
        }

        var role: String? {
            switch self {
            case .viewer: return "viewer"
            case .worker: return "worker"
            case .editor: return "editor"
            case .anyone, .webhookKey: return nil
            }
        }
    }

    static let securitySchemes = obj(
        ("bearer", obj(
            ("type", .string("http")), ("scheme", .string("bearer")),
            ("description", .string(
                "A project token's secret (`cairn token create`). A route acts on the token's project only; too weak "
                    + "a role is 403.")))),
        ("webhookKey", obj(
            ("type", .string("apiKey")), ("in", .string("header")), ("name", .string("x-api-key")),
            ("description", .string("The trigger's key (`cairn trigger key`), when it has one.")))))

    // MARK: Parameters

    static let parameters = obj(
        ("RunId", pathParameter("id", "A run's id", example: "run-1")),
        ("WorkflowId", pathParameter("id", "A workflow's id", example: Examples.workflowId)),
        ("DataclipId", pathParameter("id", "A dataclip's id", example: nil)),
        ("TriggerPathId", pathParameter("id", "A trigger's id", example: Examples.cron)),
        ("TriggerId", pathParameter("trigger_id", "A webhook trigger's id", example: Examples.webhook)),
        ("Limit", obj(
            ("name", .string("limit")), ("in", .string("query")), ("required", .bool(false)),
            ("description", .string("Page size: 1-1000 (default 100); anything else is 400 naming `limit`.")),
            ("schema", obj(
                ("type", .string("integer")), ("minimum", .number(1)), ("maximum", .number(1_000)),
                ("default", .number(100)))))),
        ("Count", obj(
            ("name", .string("count")), ("in", .string("query")), ("required", .bool(false)),
            ("description", .string("How many fire times: 1-1000 (default 5); anything else is 400 naming `count`.")),
            ("schema", obj(
                ("type", .string("integer")), ("minimum", .number(1)), ("maximum", .number(1_000)),
                ("default", .number(5)))))))

    static func pathParameter(_ name: String, _ description: String, example: String?) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("name", .string(name)), ("in", .string("path")), ("required", .bool(true)),
            ("description", .string(description)), ("schema", ref("Id")),
        ]
        if let example { members.append(("example", .string(example))) }
        return .object(members)
    }

    // MARK: Headers

    static let headers = obj(
        ("RequestId", obj(
            ("description", .string("The id of this request's line in the server's log (docs/operations.md, \"Logging\")")),
            ("required", .bool(true)),
            ("schema", obj(("type", .string("string")))))))

    // MARK: Errors

    /// The statuses an error body may come with, and what each means.
    static let errorStatuses: [(status: Int, name: String, description: String)] = [
        (400, "BadRequest", "Malformed: the body is not JSON, or a value has the wrong type or is out of range (the field is named)"),
        (401, "Unauthorized", "No usable credentials (a missing, malformed, unknown, expired or revoked token; a webhook's key)"),
        (403, "Forbidden", "The token's role is too weak, or the thing is another project's"),
        (404, "NotFound", "No such thing (or no such route)"),
        (409, "Conflict", "The trigger is disabled"),
        (413, "ContentTooLarge", "The body is over the request limit, a dataclip over the dataclip limit, or a run's events over the events a request may carry (the field is named)"),
        (422, "Unprocessable", "The request breaks a rule (the field is named when there is one)"),
        (503, "Unavailable", "The service is shutting down, or the disk failed a write (I/O error): nothing of the request was kept"),
        (507, "StoreFull", "The data folder is full (its disk, or its `--max-size` ceiling): nothing of the request was kept; retry once room is made"),
    ]

    static let errorResponses = JSONValue.object(errorStatuses.map { (key: $0.name, value: json($0.description, ref("Error"))) })

    // MARK: Schemas

    static let schemas = obj(
        // Shared pieces.
        ("Id", string("An identifier: 1-120 bytes of ASCII, no NUL", minLength: 1, maxLength: 120)),
        ("Time", string("A time, RFC 3339 in UTC (microseconds when not whole seconds)", format: "date-time")),
        ("AnyJSON", obj(("description", .string("Any JSON value")))),
        ("Error", object(
            "A refusal", required: ["error"],
            properties: [("error", ref("ErrorDetail"))])),
        ("ErrorDetail", object(
            "What was wrong", required: ["message"],
            properties: [
                ("field", string("The field at fault, when there is one")),
                ("message", string("Why")),
            ])),

        // Health and webhooks.
        ("Health", object(
            nil, required: ["status", "last_sequence"],
            properties: [
                ("status", string("`degraded` while the projections are behind the log", enumeration: ["ok", "degraded"])),
                ("last_sequence", integer("The log's last sequence", minimum: 0)),
                ("projection_error", string("Why the projections are behind (only when degraded)")),
            ])),
        ("WebhookRun", object(
            "`before_start`: the run created", required: ["run_id"], properties: [("run_id", ref("Id"))])),
        ("WebhookReply", obj(
            ("description", .string(
                "`before_start`: `{\"run_id\"}`. `after_completion`: the run's webhook response, or its final state "
                    + "(`null` when it has none): any JSON")),
            ("anyOf", .array([ref("WebhookRun"), ref("AnyJSON")])))),
        ("RunPending", object(
            "The run was created but is not final yet: it goes on", required: ["error", "run_id"],
            properties: [("error", ref("ErrorDetail")), ("run_id", ref("Id"))])),

        // Views (Sources/CairnKit/Views.swift).
        ("Run", object(
            "A run, as `cairn runs show --json`",
            required: [
                "id", "state", "workflow_id", "lock_version", "project_id", "starting_trigger_id", "input_dataclip_id",
                "final_dataclip_id", "claimed_at", "started_at", "finished_at", "error_type", "error_message", "steps",
            ],
            properties: [
                ("id", ref("Id")),
                ("state", ref("RunState")),
                ("workflow_id", ref("Id")),
                ("lock_version", integer("The workflow version it runs", minimum: 1)),
                ("project_id", ref("Id")),
                ("starting_trigger_id", nullable(ref("Id"))),
                ("input_dataclip_id", ref("Id")),
                ("final_dataclip_id", nullable(ref("Id"))),
                ("claimed_at", nullable(ref("Time"))),
                ("started_at", nullable(ref("Time"))),
                ("finished_at", nullable(ref("Time"))),
                ("error_type", nullable(string(nil))),
                ("error_message", nullable(string(nil))),
                ("steps", array(ref("Step"))),
            ])),
        ("RunState", string(
            nil, enumeration: ["available", "claimed", "started", "success", "failed", "crashed", "cancelled", "killed", "exception", "lost"])),
        ("Step", object(
            "A step of a run",
            required: ["id", "job_id", "exit_reason", "input_dataclip_id", "output_dataclip_id", "started_at", "finished_at"],
            properties: [
                ("id", ref("Id")),
                ("job_id", ref("Id")),
                ("exit_reason", nullable(ref("StepExitReason"))),
                ("input_dataclip_id", nullable(ref("Id"))),
                ("output_dataclip_id", nullable(ref("Id"))),
                ("started_at", nullable(ref("Time"))),
                ("finished_at", nullable(ref("Time"))),
            ])),
        ("StepExitReason", string(nil, enumeration: ["success", "fail", "crash", "kill", "exception", "cancel"])),
        ("RunList", object(nil, required: ["runs"], properties: [("runs", array(ref("Run")))])),
        ("ClaimedRun", object(
            "A run this request claimed, as read from the log; only `id` and `state` when the log could not be read",
            required: ["id", "state"], properties: [("id", ref("Id")), ("state", ref("RunState"))])),
        ("ClaimResult", object(nil, required: ["runs"], properties: [
            ("runs", array(obj(("anyOf", .array([ref("Run"), ref("ClaimedRun")]))))),
        ])),
        ("DataclipType", string(nil, enumeration: ["http_request", "global", "step_result", "saved_input", "kafka"])),
        ("Dataclip", object(
            "A dataclip, as `cairn dataclips show --json`", required: ["id", "project_id", "type", "wiped_at", "body"],
            properties: [
                ("id", ref("Id")),
                ("project_id", ref("Id")),
                ("type", ref("DataclipType")),
                ("wiped_at", nullable(ref("Time"))),
                ("body", obj(("description", .string("Its JSON body; null once wiped")))),
            ])),
        ("Cursor", object(
            "The input a cron trigger's next run gets, as `cairn cursor --json`",
            required: ["trigger_id", "source", "dataclip_id", "body"],
            properties: [
                ("trigger_id", ref("Id")),
                ("source", string(
                    "`job_output`: the cursor job's latest successful output; `final_state`: the latest successful run's "
                        + "final dataclip; `empty`: nothing yet (the run gets `{}`)",
                    enumeration: ["job_output", "final_state", "empty"])),
                ("dataclip_id", nullable(ref("Id"))),
                ("body", obj(("description", .string("That dataclip's body; null when there is none or it was wiped")))),
            ])),
        ("Upcoming", object(
            nil, required: ["trigger_id", "fires_at"],
            properties: [("trigger_id", ref("Id")), ("fires_at", array(ref("Time")))])),
        ("PublishResult", object(
            "As `cairn workflow publish`", required: ["workflow_id", "lock_version", "changed"],
            properties: [
                ("workflow_id", ref("Id")),
                ("lock_version", integer(nil, minimum: 1)),
                ("changed", obj(("type", .string("boolean")))),
            ])),

        // Outcomes of worker events (Views.outcome).
        ("Appended", outcome("appended", ("sequence", integer("The event's sequence in the log", minimum: 1)))),
        ("Duplicate", outcome("duplicate", ("sequence", integer("The sequence of the event already recorded", minimum: 1)))),
        ("Unchanged", outcome("unchanged", ("lock_version", integer(nil, minimum: 1)))),
        ("Rejected", outcome("rejected", ("error", ref("FieldError")))),
        ("FieldError", object(
            "Why an event was rejected", required: ["field", "message"],
            properties: [("field", string(nil)), ("message", string(nil))])),
        ("Outcome", obj(
            ("description", .string("What became of one event")),
            ("oneOf", .array([ref("Appended"), ref("Duplicate"), ref("Unchanged"), ref("Rejected")])))),
        ("Outcomes", obj(
            ("description", .string("One outcome for one event; an array, in order, for an array")),
            ("oneOf", .array([ref("Outcome"), array(ref("Outcome"))])))),

        // Requests: the worker protocol (Sources/EventLog/WorkerProtocol.swift, docs/events.md).
        ("EventTime", obj(
            ("description", .string(
                "Integer microseconds since the epoch, or an ISO-8601 time; within 1900-01-01 to 2200-01-01")),
            ("anyOf", .array([
                integer(nil, minimum: -2_208_988_800_000_000, maximum: 7_258_118_399_999_999),
                string(nil),
                obj(("type", .string("null"))),
            ])))),
        ("OptionalText", nullable(string(nil))),
        ("NewDataclip", object(
            "A dataclip created with the run", required: ["type", "body"],
            properties: [("type", ref("DataclipType")), ("body", ref("AnyJSON"))])),
        ("RunCreatedPayload", object(
            "`run:created`: the run's workflow (its project must be the token's) and its input: `input` creates a "
                + "dataclip, `input_dataclip_id` names an existing one",
            required: ["run_id", "workflow_id"],
            properties: [
                ("run_id", ref("Id")),
                ("workflow_id", ref("Id")),
                ("lock_version", obj(
                    ("description", .string("The workflow version (default: the latest)")),
                    ("anyOf", .array([
                        integer(nil, minimum: 1, maximum: 4_294_967_295),
                        string(nil, pattern: "^[0-9]+$"),
                        obj(("type", .string("null"))),
                    ])))),
                ("starting_trigger_id", nullable(ref("Id"))),
                ("input_dataclip_id", nullable(ref("Id"))),
                ("input", nullable(ref("NewDataclip"))),
                ("timestamp", ref("EventTime")),
            ])),
        ("ClaimRequest", object(
            nil, required: [],
            properties: [
                ("worker_name", nullable(string("Who claims (default `worker`)"))),
                ("demand", nullable(integer("How many runs at most (default 1)", minimum: 1, maximum: 100))),
            ])),
        ("WorkerEvents", obj(("oneOf", .array([ref("WorkerEvent"), array(ref("WorkerEvent"))])))),
        ("WorkerEvent", obj(
            ("description", .string(
                "`{event, id?, payload}`. Without `id`, one is derived from the content, so a repeated event is a duplicate")),
            ("oneOf", .array(workerEvents.map { ref($0.schema) })))),
        ("EventId", nullable(string("The event's id (a UUID)", format: "uuid"))),
        ("ExpectedVersion", nullable(integer("Append only if the run's stream is at this version", minimum: 0, maximum: 4_294_967_295))),
        ("PathRunId", nullable(ref("Id"))),
    )
    .merging(workerEventSchemas)
    .merging(obj(
        ("RunClaimedPayload", eventPayload(required: [], [("worker_name", ref("OptionalText"))])),
        ("RunStartPayload", eventPayload(required: [], [])),
        ("RunLostPayload", eventPayload(required: [], [])),
        ("RunCancelledPayload", eventPayload(required: [], [])),
        ("StepStartPayload", eventPayload(
            required: ["step_id", "job_id"],
            [("step_id", ref("Id")), ("job_id", ref("Id")), ("input_dataclip_id", nullable(ref("Id")))])),
        ("StepCompletePayload", eventPayload(
            required: ["step_id", "job_id", "reason"],
            [
                ("step_id", ref("Id")), ("job_id", ref("Id")), ("reason", ref("StepExitReason")),
                ("error_type", ref("OptionalText")), ("error_message", ref("OptionalText")),
                ("output_dataclip_id", nullable(ref("Id"))),
                ("output_dataclip", obj(
                    ("description", .string("The step's output: JSON text, or the JSON itself")))),
                ("mem", obj(
                    ("description", .string("Bytes, at most 2^50: an integer, or the worker's `{job, system}`")),
                    ("anyOf", .array([
                        integer(nil, minimum: 0, maximum: 1 << 50),
                        object(nil, required: [], properties: [
                            ("job", integer(nil, minimum: 0, maximum: 1 << 50)), ("system", integer(nil, minimum: 0)),
                        ]),
                        obj(("type", .string("null"))),
                    ])))),
                ("duration", nullable(integer("Milliseconds, at most 366 days", minimum: 0, maximum: 366 * 86_400 * 1_000))),
                ("webhook_response", obj(
                    ("description", .string(
                        "What an `after_completion` webhook answers (JSON text, or the JSON itself): "
                            + "`{\"status\": 200-599, \"body\"}` chooses both; any other JSON is the body, with 201")))),
            ])),
        ("RunCompletePayload", eventPayload(
            required: ["reason"],
            [
                ("reason", string(
                    "How the run ended (`state` is taken when `reason` is absent)",
                    enumeration: ["success", "fail", "failed", "crash", "crashed", "cancel", "cancelled", "kill", "killed", "exception", "lost"])),
                ("error_type", ref("OptionalText")), ("error_message", ref("OptionalText")),
                ("final_dataclip_id", nullable(ref("Id"))),
                ("final_state", obj(
                    ("description", .string("The final state: a JSON object, or JSON text of one")),
                    ("anyOf", .array([obj(("type", .string("object"))), string(nil), obj(("type", .string("null")))])))),
            ])),
        ("RunLogPayload", eventPayload(
            required: ["message"],
            [
                ("message", obj(("description", .string("A string, or any JSON (kept as its text); cut at 1 MiB")))),
                ("step_id", ref("OptionalText")), ("level", ref("OptionalText")), ("source", ref("OptionalText")),
            ])),

        // Publishing (Sources/Workflows/WorkflowJSON.swift).
        ("PublishRequest", obj(
            ("description", .string("A workflow, or `{}` (or no body) to publish the stored document")),
            ("anyOf", .array([ref("Workflow"), obj(("type", .string("object")), ("maxProperties", .number(0)))])))),
        ("Uuid", string("A UUID", format: "uuid")),
        ("Workflow", object(
            "A workflow, as `cairn workflow publish` reads it. It must validate (422 otherwise): ids are UUIDs and "
                + "unique, job names unique, every edge's endpoints in the workflow, cron triggers with an expression "
                + "that parses and can fire, a known time zone, and a cursor job of the workflow",
            required: ["id", "project_id", "name"],
            properties: [
                ("id", ref("Uuid")), ("project_id", ref("Id")), ("name", string(nil, minLength: 1)),
                ("concurrency", nullable(integer(nil, minimum: 0))),
                ("enable_job_logs", obj(("type", .string("boolean")))),
                ("deleted_at", ref("OptionalText")),
                ("lock_version", nullable(integer(nil, minimum: 0))),
                ("jobs", array(ref("Job"))),
                ("triggers", array(ref("Trigger"))),
                ("edges", array(ref("Edge"))),
                ("positions", nullable(obj(("type", .string("object"))))),
            ])),
        ("Job", object(
            nil, required: ["id", "name"],
            properties: [
                ("id", ref("Uuid")), ("name", string(nil, minLength: 1)), ("body", string("Its code")), ("adaptor", ref("OptionalText")),
                ("project_credential_id", ref("OptionalText")), ("keychain_credential_id", ref("OptionalText")),
            ])),
        ("Trigger", object(
            nil, required: ["id", "type"],
            properties: [
                ("id", ref("Uuid")),
                ("type", string(nil, enumeration: ["webhook", "cron", "kafka"])),
                ("enabled", obj(("type", .string("boolean")))),
                ("cron_expression", ref("OptionalText")),
                ("cron_cursor_job_id", nullable(ref("Uuid"))),
                ("webhook_reply", nullable(string(nil, enumeration: ["before_start", "after_completion"]))),
                ("kafka_configuration", ref("AnyJSON")),
                ("timezone", ref("OptionalText")),
                ("cron_day_match", nullable(string(nil, enumeration: ["any", "all"]))),
            ])),
        ("Edge", object(
            "From a trigger or a job (exactly one) to a job", required: ["id", "target_job_id"],
            properties: [
                ("id", ref("Uuid")),
                ("source_trigger_id", nullable(ref("Uuid"))), ("source_job_id", nullable(ref("Uuid"))),
                ("target_job_id", ref("Uuid")),
                ("condition_type", string(nil, enumeration: ["always", "on_job_success", "on_job_failure", "js_expression"])),
                ("condition_expression", ref("OptionalText")), ("condition_label", ref("OptionalText")),
                ("enabled", obj(("type", .string("boolean")))),
            ]))))

    /// The events `POST /api/v1/runs/{id}/events` takes (`WorkerEvents.runScoped`), and their payloads' schemas.
    static let workerEvents: [(event: String, schema: String, payload: String)] = [
        ("run:claimed", "RunClaimedEvent", "RunClaimedPayload"),
        ("run:start", "RunStartEvent", "RunStartPayload"),
        ("step:start", "StepStartEvent", "StepStartPayload"),
        ("step:complete", "StepCompleteEvent", "StepCompletePayload"),
        ("run:complete", "RunCompleteEvent", "RunCompletePayload"),
        ("run:log", "RunLogEvent", "RunLogPayload"),
        ("run:lost", "RunLostEvent", "RunLostPayload"),
        ("run:cancelled", "RunCancelledEvent", "RunCancelledPayload"),
    ]

    static var workerEventSchemas: JSONValue {
        .object(workerEvents.map { event in
            (key: event.schema, value: object(
                nil, required: ["event"],
                properties: [
                    ("event", obj(("const", .string(event.event)))),
                    ("id", ref("EventId")),
                    ("expected_version", ref("ExpectedVersion")),
                    ("payload", ref(event.payload)),
                ]))
        })
    }

    /// A payload of an event about the path's run: `run_id`, when given, must be the path's.
    static func eventPayload(required: [String], _ properties: [(String, JSONValue)]) -> JSONValue {
        object(
            nil, required: required,
            properties: [("run_id", ref("PathRunId"))] + properties + [("timestamp", ref("EventTime"))])
    }

    static func outcome(_ status: String, _ detail: (String, JSONValue)) -> JSONValue {
        object(
            nil, required: ["status", detail.0],
            properties: [("status", obj(("const", .string(status)))), detail])
    }

    // MARK: Examples

    /// Request examples: the sample workflow (fixtures/workflows/daily-report.json) and a run of it, as in the README.
    enum Examples {
        static let workflowId = "7b1c2b4e-0c2d-4f7a-9a51-1d2f3e4a5b60"
        static let projectId = "4f9e2d1c-aaaa-4bbb-8ccc-000000000001"
        static let jobs = ["a1000000-0000-4000-8000-000000000001", "a1000000-0000-4000-8000-000000000002"]
        static let cron = "c1000000-0000-4000-8000-000000000001"
        static let webhook = "c1000000-0000-4000-8000-000000000002"

        static let runCreated = obj(
            ("run_id", .string("run-1")), ("workflow_id", .string(workflowId)),
            ("input", obj(("type", .string("http_request")), ("body", obj(("hello", .string("world")))))))

        static let events = JSONValue.array([
            obj(("event", .string("run:start")), ("payload", obj())),
            obj(("event", .string("step:start")), ("payload", obj(("step_id", .string("s1")), ("job_id", .string(jobs[0]))))),
            obj(("event", .string("run:log")), ("payload", obj(("message", .string("fetched 3 orders")), ("step_id", .string("s1"))))),
        ])

        static let workflow = obj(
            ("id", .string(workflowId)), ("project_id", .string(projectId)), ("name", .string("Daily report")),
            ("concurrency", .number(1)), ("enable_job_logs", .bool(true)),
            ("jobs", .array([
                obj(("id", .string(jobs[0])), ("name", .string("Fetch orders")), ("adaptor", .string("@openfn/language-http@latest")),
                    ("body", .string("get('/orders', { query: { since: state.lastSeen } });"))),
                obj(("id", .string(jobs[1])), ("name", .string("Summarise")), ("adaptor", .string("@openfn/language-common@latest")),
                    ("body", .string("fn(state => ({ ...state, total: state.data.length }));"))),
            ])),
            ("triggers", .array([
                obj(("id", .string(cron)), ("type", .string("cron")), ("enabled", .bool(true)),
                    ("cron_expression", .string("0 6 * * *")), ("cron_cursor_job_id", .string(jobs[0]))),
                obj(("id", .string(webhook)), ("type", .string("webhook")), ("enabled", .bool(true))),
            ])),
            ("edges", .array([
                obj(("id", .string("e1000000-0000-4000-8000-000000000001")), ("source_trigger_id", .string(cron)),
                    ("target_job_id", .string(jobs[0])), ("condition_type", .string("always")), ("enabled", .bool(true))),
                obj(("id", .string("e1000000-0000-4000-8000-000000000002")), ("source_trigger_id", .string(webhook)),
                    ("target_job_id", .string(jobs[0])), ("condition_type", .string("always")), ("enabled", .bool(true))),
                obj(("id", .string("e1000000-0000-4000-8000-000000000003")), ("source_job_id", .string(jobs[0])),
                    ("target_job_id", .string(jobs[1])), ("condition_type", .string("on_job_success")), ("enabled", .bool(true))),
            ])))
    }

    // MARK: Builders

    static func obj(_ members: (String, JSONValue)...) -> JSONValue {
        .object(members.map { (key: $0.0, value: $0.1) })
    }

    static func ref(_ name: String, in section: String = "schemas") -> JSONValue {
        obj(("$ref", .string("#/components/\(section)/\(name)")))
    }

    static func string(
        _ description: String?, format: String? = nil, enumeration: [String]? = nil,
        minLength: Int? = nil, maxLength: Int? = nil, pattern: String? = nil
    ) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [("type", .string("string"))]
        if let description { members.append(("description", .string(description))) }
        if let format { members.append(("format", .string(format))) }
        if let enumeration { members.append(("enum", .array(enumeration.map(JSONValue.string)))) }
        if let minLength { members.append(("minLength", .number(minLength))) }
        if let maxLength { members.append(("maxLength", .number(maxLength))) }
        if let pattern { members.append(("pattern", .string(pattern))) }
        return .object(members)
    }

    static func integer(_ description: String?, minimum: Int64? = nil, maximum: Int64? = nil) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [("type", .string("integer"))]
        if let description { members.append(("description", .string(description))) }
        if let minimum { members.append(("minimum", .number(minimum))) }
        if let maximum { members.append(("maximum", .number(maximum))) }
        return .object(members)
    }

    /// An object; other members are allowed (clients must ignore what they do not know).
    static func object(_ description: String?, required: [String], properties: [(String, JSONValue)]) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [("type", .string("object"))]
        if let description { members.append(("description", .string(description))) }
        if !required.isEmpty { members.append(("required", .array(required.map(JSONValue.string)))) }
        members.append(("properties", .object(properties.map { (key: $0.0, value: $0.1) })))
        return .object(members)
    }

    static func array(_ items: JSONValue) -> JSONValue {
        obj(("type", .string("array")), ("items", items))
    }

    /// `schema` or null (OpenAPI 3.1: JSON Schema's `null` type).
    static func nullable(_ schema: JSONValue) -> JSONValue {
        obj(("anyOf", .array([schema, obj(("type", .string("null")))])))
    }

    static func requestBody(_ description: String, required: Bool = true, schema: JSONValue, example: JSONValue) -> JSONValue {
        obj(
            ("description", .string(description)), ("required", .bool(required)),
            ("content", obj(("application/json", obj(("schema", schema), ("example", example))))))
    }

    static func response(
        _ description: String, content: [(String, JSONValue)], links: [(String, JSONValue)] = []
    ) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [("description", .string(description))]
        // Every answer of the HTTP routes (RequestObserver); not a WebSocket upgrade's, which has no body.
        if !content.isEmpty {
            members.append(("headers", obj(("X-Request-Id", ref("RequestId", in: "headers")))))
            members.append(("content", .object(content.map { (key: $0.0, value: $0.1) })))
        }
        if !links.isEmpty { members.append(("links", .object(links.map { (key: $0.0, value: $0.1) }))) }
        return .object(members)
    }

    static func json(_ description: String, _ schema: JSONValue) -> JSONValue {
        response(description, content: [("application/json", obj(("schema", schema)))])
    }

    /// A link to an operation on the run whose id `expression` finds.
    static func link(_ operationId: String, id expression: String) -> JSONValue {
        obj(("operationId", .string(operationId)), ("parameters", obj(("id", .string(expression)))))
    }

    static func operation(
        _ id: String, _ summary: String, _ description: String?, security: Security,
        parameters: [JSONValue] = [], body: JSONValue? = nil,
        responses: [(String, JSONValue)], errors: [Int]
    ) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [("operationId", .string(id)), ("summary", .string(summary))]
        var text = description ?? ""
        if let role = security.role {
            text += (text.isEmpty ? "" : " ") + "Needs a token of role \(role) or above."
        }
        if !text.isEmpty { members.append(("description", .string(text))) }
        if !parameters.isEmpty { members.append(("parameters", .array(parameters))) }
        if let body { members.append(("requestBody", body)) }
        var answers = responses.map { (key: $0.0, value: $0.1) }
        for status in errors {
            guard let known = errorStatuses.first(where: { $0.status == status }) else {
                preconditionFailure("no error response for \(status)")
            }
            answers.append((key: String(status), value: ref(known.name, in: "responses")))
        }
        answers.sort { $0.key < $1.key }
        members.append(("responses", .object(answers)))
        members.append(("security", security.requirement))
        return .object(members)
    }
}

extension JSONValue {
    /// This object's members followed by `other`'s (both objects).
    fileprivate func merging(_ other: JSONValue) -> JSONValue {
        .object((objectValue ?? []) + (other.objectValue ?? []))
    }
}
