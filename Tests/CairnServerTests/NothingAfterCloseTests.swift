import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing

@testable import CairnServer

/// The hub writes to an upgraded channel directly, past the WebSocket
/// writer that stops after a close; the guard behind the frame encoder
/// lets nothing follow a close frame (review of session 24's sync fix).
@Suite struct NothingAfterCloseTests {
    @Test func aFrameAfterTheCloseIsRefusedAndNotSent() throws {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(WebSocketFrameEncoder())
        try NothingAfterClose.install(channel.pipeline.syncOperations)
        let data = WebSocketFrame(fin: true, opcode: .binary, data: ByteBuffer(bytes: [1, 2, 3]))
        try channel.writeAndFlush(data).wait()
        var close = ByteBuffer()
        close.write(webSocketErrorCode: .goingAway)
        try channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .connectionClose, data: close)).wait()
        #expect(throws: ChannelError.outputClosed) { try channel.writeAndFlush(data).wait() }
        // On the wire: the data frame, then the close frame, and nothing after.
        var wire: [UInt8] = []
        while let chunk = try channel.readOutbound(as: ByteBuffer.self) { wire += chunk.readableBytesView }
        #expect(wire == [0x82, 3, 1, 2, 3, 0x88, 2, 0x03, 0xE9])
        _ = try channel.finish()
    }
}
