import NIOCore
import NIOWebSocket

/// Refuses every frame written after a close frame (RFC 6455 §5.5.1: the
/// close is the last frame an endpoint sends). The hub writes its frames
/// to the channel directly (`SyncRoute`), past the WebSocket writer that
/// stops after a close, so one could follow a close the route or the
/// WebSocket handler sent meanwhile; Chromium then fails the connection
/// and reports 1006 instead of the close's own code. Sits between the
/// frame encoder and everything that writes frames.
final class NothingAfterClose: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private var closeSent = false

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !closeSent else {
            promise?.fail(ChannelError.outputClosed)
            return
        }
        if unwrapOutboundIn(data).opcode == .connectionClose { closeSent = true }
        context.write(data, promise: promise)
    }

    /// Puts the guard just behind the frame encoder of an upgraded channel.
    static func install(on channel: any Channel) async throws {
        try await channel.eventLoop.submit { try install(channel.pipeline.syncOperations) }.get()
    }

    /// `install(on:)`, on the channel's event loop.
    static func install(_ pipeline: ChannelPipeline.SynchronousOperations) throws {
        try pipeline.addHandler(NothingAfterClose(), position: .after(try pipeline.handler(type: WebSocketFrameEncoder.self)))
    }
}
