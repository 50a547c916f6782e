import Foundation
import Hummingbird

/// Request counts by status class and timing, in Prometheus text format.
final class Metrics: RouterMiddleware, @unchecked Sendable {
    typealias Context = BasicRequestContext
    private let lock = NSLock()
    private var requests: [String: Int] = [:]
    private var seconds = 0.0

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = Date()
        var status = 500
        defer {
            let elapsed = Date().timeIntervalSince(start)
            let bucket = "\(status / 100)xx"
            lock.withLock {
                requests[bucket, default: 0] += 1
                seconds += elapsed
            }
        }
        do {
            let response = try await next(request, context)
            status = response.status.code
            return response
        } catch let error as any HTTPResponseError {
            status = error.status.code
            throw error
        }
    }

    func render(lastSequence: UInt64) -> String {
        lock.withLock {
            var lines = [
                "# HELP cairn_events_total Events in the log.", "# TYPE cairn_events_total counter",
                "cairn_events_total \(lastSequence)",
                "# HELP cairn_http_requests_total HTTP requests by status class.", "# TYPE cairn_http_requests_total counter",
            ]
            for (bucket, count) in requests.sorted(by: { $0.key < $1.key }) {
                lines.append("cairn_http_requests_total{status=\"\(bucket)\"} \(count)")
            }
            lines += [
                "# HELP cairn_http_request_seconds_total Time spent in requests.",
                "# TYPE cairn_http_request_seconds_total counter", "cairn_http_request_seconds_total \(seconds)",
            ]
            return lines.joined(separator: "\n") + "\n"
        }
    }
}
