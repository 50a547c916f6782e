import JSON

/// A short OpenAPI 3 description of the routes, served at /openapi.json.
enum OpenAPI {
    static var document: JSONValue {
        func op(_ summary: String) -> JSONValue { .object([("summary", .string(summary)), ("responses", .object([("200", .object([("description", .string("OK"))]))]))]) }
        let paths: [(key: String, value: JSONValue)] = [
            ("/healthz", .object([("get", op("Liveness and the log's last sequence"))])),
            ("/metrics", .object([("get", op("Prometheus metrics"))])),
            ("/api/v1/runs", .object([("post", op("run:created (worker protocol payload)"))])),
            ("/api/v1/runs/claim", .object([("post", op("Claim available runs: {worker_name, demand}"))])),
            ("/api/v1/runs/{id}/events", .object([("post", op("One worker event or an array: {event, id?, payload}"))])),
            ("/api/v1/runs/{id}", .object([("get", op("A run with its steps"))])),
            ("/api/v1/workflows/{id}/runs", .object([("get", op("Runs of a workflow, newest first"))])),
            ("/api/v1/dataclips/{id}", .object([("get", op("A dataclip (body null when wiped)"))])),
            ("/api/v1/triggers/{id}/cursor", .object([("get", op("The input the trigger's next cron run would get"))])),
            ("/api/v1/triggers/{id}/upcoming", .object([("get", op("The trigger's next fire times"))])),
            ("/api/v1/workflows/{id}/publish", .object([("post", op("Publish a workflow JSON body, or the document when empty"))])),
        ]
        return .object([
            ("openapi", .string("3.0.3")),
            ("info", .object([("title", .string("Cairn")), ("version", .string("0.1.0"))])),
            ("components", .object([("securitySchemes", .object([("bearer", .object([("type", .string("http")), ("scheme", .string("bearer"))]))]))])),
            ("security", .array([.object([("bearer", .array([]))])])),
            ("paths", .object(paths)),
        ])
    }
}
