import Hummingbird
import Logging

/// The first middleware of both routers: one log line per request, its time
/// in `cairn_http_request_duration_seconds`, and the request id in an
/// `X-Request-Id` response header.
///
/// The line goes through the request context's logger, which Hummingbird
/// gives every request with its id (`hb.request.id`): every line logged for
/// a request carries that id, and a client quoting the header finds them.
/// Its level is info, error for a 5xx. Metadata: `http.method`,
/// `http.route` (the template, `/api/v1/runs/{id}`; `NotFound` when no
/// route matched), `http.path`, `http.status`, `duration_ms`, and for a
/// refused request `error.field` and `error.message` (or `error`).
///
/// Metrics are labelled by route template, never the raw path: ids in paths
/// would make a series each. `metrics` is `nil` for a router made without
/// them (the lines are still logged).
///
/// On the sync router (`webSocketUpgrades`) every request asks for an
/// upgrade, and hummingbird-websocket answers it itself: 101 when the route
/// agrees, else 400 with no body (the HTTP routes never see it). The line
/// and the metrics say what was answered.
struct RequestObserver<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics?
    var webSocketUpgrades = false

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        if webSocketUpgrades {
            var response: Response
            do {
                response = try await ServerMetrics.$current.withValue(metrics) { try await next(request, context) }
            } catch {
                finish(request, context, status: 400, since: start, error: error)
                throw error
            }
            guard response.status == .ok else {
                finish(request, context, status: 400, since: start, error: UpgradeRefused(answer: response.status))
                return response
            }
            finish(request, context, status: 101, since: start, error: nil)
            if let id = context.logger[metadataKey: "hb.request.id"] { response.headers[.requestID] = id.description }
            return response
        }
        var response: Response
        var refusal: (any Error)?
        do {
            // Token refusals deep in the handlers count in this server's metrics.
            response = try await ServerMetrics.$current.withValue(metrics) { try await next(request, context) }
        } catch let error as any HTTPResponseError {
            // What the router would answer; answered here so the line has its status.
            refusal = error
            response = try error.response(from: request, context: context)
        } catch {
            // Hummingbird answers 500 to anything else.
            finish(request, context, status: 500, since: start, error: error)
            throw error
        }
        finish(request, context, status: response.status.code, since: start, error: refusal)
        if let id = context.logger[metadataKey: "hb.request.id"] { response.headers[.requestID] = id.description }
        return response
    }

    private func finish(_ request: Request, _ context: Context, status: Int, since start: ContinuousClock.Instant, error: (any Error)?) {
        let duration = ContinuousClock.now - start
        let route = context.endpointPath ?? "NotFound"
        metrics?.requestFinished(method: ServerMetrics.methodLabel(request.method), route: route, status: status, duration: duration)
        let (seconds, attoseconds) = duration.components
        let milliseconds = ((Double(seconds) * 1e3 + Double(attoseconds) / 1e15) * 1e3).rounded() / 1e3  // to the microsecond
        var metadata: Logger.Metadata = [
            "http.method": .string(request.method.rawValue),
            "http.route": .string(route),
            "http.path": .string(request.uri.path),
            "http.status": .stringConvertible(status),
            "duration_ms": .stringConvertible(milliseconds),
        ]
        if let error = error as? APIError {
            if let field = error.field { metadata["error.field"] = .string(field) }
            metadata["error.message"] = .string(error.message)
        } else if let error {
            metadata["error"] = .string("\(error)")
        }
        context.logger.log(
            level: status >= 500 ? .error : .info, "\(request.method.rawValue) \(route) \(status)", metadata: metadata)
    }
}

/// A WebSocket upgrade the sync route did not agree to (its answer, which
/// hummingbird-websocket turns into a 400).
struct UpgradeRefused: Error, CustomStringConvertible {
    let answer: HTTPResponse.Status
    var description: String { "WebSocket upgrade refused (the route answered \(answer.code))" }
}

extension HTTPFields.Element.Name {
    static let requestID = Self("X-Request-Id")!
}
