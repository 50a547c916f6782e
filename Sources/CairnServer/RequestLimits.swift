import Foundation
import EventLog
import Hummingbird
import JSON
import LMDB
import NIOCore

/// How much a request may carry (docs/http.md, "Limits and errors").
public struct RequestLimits: Sendable {
    /// The largest request body read; larger ones get 413 before they are read whole.
    public var bodyBytes: Int
    /// The largest dataclip a request may create (an input, an output, a final state).
    public var dataclipBytes: Int
    /// The largest WebSocket message (and frame) the sync socket takes; larger ones close it with 1009.
    public var socketMessageBytes: Int
    /// The most events one request to a run's events may carry (413, field
    /// `events`). A request's events are appended in one write, which holds
    /// the store's only writer: 32 MiB of small `run:log` lines were some
    /// 650,000 events, seconds of every other project's appends waiting.
    public var eventsPerRequest: Int
    /// How long a connection may send nothing, between requests or in the
    /// middle of a body, before it is closed. Without it, a client that
    /// stalled a body (a keyless webhook needs no token) kept what it had
    /// sent in memory, and its connection, for good.
    public var idleTimeout: Duration
    /// The bytes a sync socket's editor may leave unread before it is
    /// dropped (`DocumentHub.Outbox`): frames may be as large as a socket
    /// message, so a count of frames alone let one editor that stops
    /// reading hold gigabytes.
    public var socketQueueBytes: Int

    public init(
        bodyBytes: Int = 32 << 20, dataclipBytes: Int = 10 << 20, socketMessageBytes: Int = 16 << 20,
        eventsPerRequest: Int = 1_000, idleTimeout: Duration = .seconds(60), socketQueueBytes: Int = 64 << 20
    ) {
        self.bodyBytes = bodyBytes
        self.dataclipBytes = dataclipBytes
        self.socketMessageBytes = socketMessageBytes
        self.eventsPerRequest = eventsPerRequest
        self.idleTimeout = idleTimeout
        self.socketQueueBytes = socketQueueBytes
    }

    /// The request's body as JSON: 413 past `bodyBytes` (at once when its
    /// Content-Length says so, else as soon as that many bytes arrived), 400
    /// naming `body` when it is not JSON. An empty body is `{}` when allowed.
    func json(_ request: Request, allowEmpty: Bool = false) async throws -> JSONValue {
        try await json(request, allowEmpty: allowEmpty, upTo: bodyBytes, limitName: "request limit")
    }

    /// A webhook's body, which is its run's input dataclip whole: refused
    /// before it is parsed past twice the dataclip limit (parsing 32 MiB of
    /// JSON takes half a gigabyte, and a webhook without a key needs no
    /// token). Twice, not once: the dataclip is the body re-serialised,
    /// which is smaller for pretty-printed JSON, and `check` still applies
    /// the limit to it.
    func webhookJSON(_ request: Request) async throws -> JSONValue {
        let twice = dataclipBytes.multipliedReportingOverflow(by: 2).overflow ? Int.max : dataclipBytes * 2
        return twice < bodyBytes
            ? try await json(request, allowEmpty: true, upTo: twice, limitName: "webhook body limit (twice the dataclip limit)")
            : try await json(request, allowEmpty: true, upTo: bodyBytes, limitName: "request limit")
    }

    private func json(_ request: Request, allowEmpty: Bool, upTo limit: Int, limitName: String) async throws -> JSONValue {
        func tooLarge(_ declared: Int?) -> APIError {
            APIError(
                status: .contentTooLarge, field: "body",
                message: "the body\(declared.map { " is \($0) bytes; it" } ?? "") exceeds the \(limitName) of \(limit) bytes")
        }
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            throw tooLarge(declared)
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw tooLarge(nil)
        }
        let bytes = Array(buffer.readableBytesView)
        if bytes.isEmpty && allowEmpty { return .object([]) }
        do { return try JSONParser.parse(bytes) } catch { throw APIError.badRequest("not JSON: \(error.description)", field: "body") }
    }

    /// Refuses (413, the field named) a command that would create a dataclip
    /// larger than `dataclipBytes`.
    func check(_ command: Command) throws {
        let sizes: [(field: String, bytes: Int?)]
        switch command {
        case .createRun(let c): sizes = [("input.body", c.input?.body.count)]
        case .completeStep(let c):
            sizes = [("output_dataclip", c.outputDataclip?.count), ("webhook_response", c.webhookResponse?.count)]
        case .completeRun(let c): sizes = [("final_state", c.finalState?.serialized().count)]
        default: sizes = []
        }
        for (field, bytes) in sizes {
            guard let bytes, bytes > dataclipBytes else { continue }
            throw APIError(
                status: .contentTooLarge, field: field,
                message: "a dataclip of \(bytes) bytes exceeds the dataclip limit of \(dataclipBytes) bytes")
        }
    }
}

/// Every error a request meets is answered as `{"error":{"field"?,"message"}}`:
/// Hummingbird's own (no such route, 405, 413) and unexpected ones (500,
/// with no internals), never an empty body.
struct JSONErrors: RouterMiddleware {
    typealias Context = BasicRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as LMDBError where error.isStoreFull {
            // Nothing of the request was kept: the client may retry once room is made.
            context.logger.error("\(request.method.rawValue) \(request.uri.path): \(error)")
            throw APIError(status: .init(code: 507, reasonPhrase: "Insufficient Storage"), field: nil, message: error.description)
        } catch let error as LMDBError where error == .readersFull {
            // Every reader slot is taken: busy, not broken; the client may retry.
            context.logger.error("\(request.method.rawValue) \(request.uri.path): \(error)")
            throw APIError(status: .serviceUnavailable, field: nil, message: error.description)
        } catch let error as LMDBError where error.isIOError {
            context.logger.error("\(request.method.rawValue) \(request.uri.path): \(error)")
            throw APIError(status: .serviceUnavailable, field: nil, message: error.description)
        } catch let error as any HTTPResponseError {
            let message = error.status == .notFound
                ? "no route \(request.method.rawValue) \(request.uri.path)" : error.status.reasonPhrase
            throw APIError(status: error.status, field: nil, message: message)
        } catch {
            context.logger.error("\(request.method.rawValue) \(request.uri.path): \(error)")
            throw APIError(status: .internalServerError, field: nil, message: "internal error (see the server's log)")
        }
    }
}

extension Parameters {
    /// Path parameter `name`, percent-decoded: the router hands over the raw
    /// segment, so an id with a space, a slash or a non-ASCII letter
    /// (`a%20b`) was never found (a run claimed under such an id could not
    /// be reported on). 400 naming it when its encoding is broken.
    func decoded(_ name: String) throws -> String {
        guard let raw = self.get(name) else { throw APIError.badRequest("is required", field: name) }
        guard let value = raw.removingPercentEncoding else {
            throw APIError.badRequest("'\(raw)' is not valid percent-encoding", field: name)
        }
        // An id that cannot be a key (a NUL would read as another's prefix): refused here, before any lookup.
        if let problem = Identifier.problem(with: value) { throw APIError.badRequest("'\(raw)' \(problem)", field: name) }
        return value
    }
}
