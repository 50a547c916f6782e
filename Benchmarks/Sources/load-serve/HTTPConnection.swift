import NIOCore
import NIOHTTP1
import NIOPosix

/// One keep-alive HTTP/1.1 connection carrying one request at a time: what
/// a worker process holds to its server. Deliberately thinner than a pooled
/// client (async-http-client): the generator shares two cores with the
/// server, and every microsecond it spends per request is one the server
/// does not get. A request costs one hop to the event loop and one back.
final class HTTPConnection: Sendable {
    struct Response: Sendable {
        let status: Int
        let body: ByteBuffer

        /// Whether the body holds `text`: enough to read an outcome
        /// (`"status":"appended"`) without parsing every answer.
        func contains(_ text: String) -> Bool {
            body.readableBytesView.firstRange(of: Array(text.utf8)) != nil
        }
    }

    /// The connection went away before the answer came: the request may or
    /// may not have been applied (a retry with the same event id is safe).
    struct Closed: Error {}

    private let channel: any Channel
    /// Touched only on `channel`'s event loop.
    private let handler: ResponseHandler
    private let baseHeaders: HTTPHeaders

    private init(channel: any Channel, handler: ResponseHandler, baseHeaders: HTTPHeaders) {
        self.channel = channel
        self.handler = handler
        self.baseHeaders = baseHeaders
    }

    static func connect(host: String, port: Int, bearer: String?, group: any EventLoopGroup) async throws -> HTTPConnection {
        let handler = ResponseHandler()
        let channel = try await ClientBootstrap(group: group)
            // Small requests answered at once: Nagle would hold each one back.
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
            .connect(host: host, port: port).get()
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: "\(host):\(port)")
        headers.add(name: "Content-Type", value: "application/json")
        if let bearer { headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        return HTTPConnection(channel: channel, handler: handler, baseHeaders: headers)
    }

    func post(_ path: String, body: String) async throws -> Response {
        var headers = baseHeaders
        headers.add(name: "Content-Length", value: String(body.utf8.count))
        let head = HTTPRequestHead(version: .http1_1, method: .POST, uri: path, headers: headers)
        let buffer = channel.allocator.buffer(string: body)
        let promise = channel.eventLoop.makePromise(of: Response.self)
        channel.eventLoop.execute { [channel, handler] in
            guard channel.isActive else { return promise.fail(Closed()) }
            handler.expect(promise)
            channel.write(HTTPClientRequestPart.head(head), promise: nil)
            channel.write(HTTPClientRequestPart.body(.byteBuffer(buffer)), promise: nil)
            channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        }
        return try await promise.futureResult.get()
    }

    func close() {
        channel.close(promise: nil)
    }
}

/// Collects one response at a time and hands it to the waiting request.
/// `@unchecked Sendable`: it is created off the loop but then used only on
/// its channel's event loop (NIO's threading model for handlers).
private final class ResponseHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart

    private var pending: EventLoopPromise<HTTPConnection.Response>?
    private var status = 0
    private var body: ByteBuffer?

    func expect(_ promise: EventLoopPromise<HTTPConnection.Response>) {
        precondition(pending == nil, "one request at a time on a connection")
        pending = promise
        status = 0
        body = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
        case .body(var part):
            if body == nil { body = part } else { body!.writeBuffer(&part) }
        case .end:
            let promise = pending
            pending = nil
            promise?.succeed(HTTPConnection.Response(status: status, body: body ?? ByteBuffer()))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        pending?.fail(HTTPConnection.Closed())
        pending = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        pending?.fail(error)
        pending = nil
        context.close(promise: nil)
    }
}
