import CairnKit
import Foundation
import Hummingbird
import HummingbirdTesting
import HummingbirdWebSocket
import TestSupport
import Testing
import YDoc

@testable import CairnServer

/// An editor that stops reading is dropped from its room once its outbox
/// is full, and that must free what it holds. Dropping it only finished
/// the outbox: the frames queued (up to 64 MiB) were still to be written,
/// the close frame waited behind them, and an upgraded socket has no idle
/// timeout, so a handful of such
/// sockets held gigabytes for as long as their peers kept TCP open
/// (session 24's review). Worse, measured here: the socket's async writer
/// returned before NIO counted a frame, so the outbox never filled and
/// the service queued all 85 MB for an editor that read nothing. Now the
/// hub's frames are awaited until the socket has them, the queue is
/// abandoned at the drop, and the connection ended `dropGrace` later.
///
/// It needs a burst: the old write path overshot only while the event
/// loop was busy, here masking the burst's frames. Under ThreadSanitizer
/// that masking held the loop every live test's server shares for a
/// minute, so `tools/test` skips this suite there (docs/reliability.md,
/// "Sanitizers").
@Suite struct SyncStalledEditorTests {
    typealias P = TwoProjects

    @Test func anEditorThatStopsReadingIsDisconnectedAndItsQueueDropped() async throws {
        let p = try TwoProjects()
        let path = "/api/v1/workflows/\(P.workflowA)/sync"
        // A 2 MiB queue, so that a few megabytes fill it: the default 64 MiB
        // took 85 MB through a debug build, and the load made other tests' sockets time out.
        let configuration = ServerConfiguration(port: 0, runScheduler: false, limits: RequestLimits(socketQueueBytes: 2 << 20))
        try await makeApplication(store: p.store, configuration: configuration).test(.live) { client in
            let port = try #require(client.port)
            let stalled = try RawEditor(port: port, path: path, token: "t1")
            // Another editor of the project sends awareness frames (relayed
            // unread to the project's other editors) until the stalled one's
            // outbox is full: 2 MiB here, after what the kernel takes (up to
            // 4 MiB of send buffer on this machine).
            let awareness = [UInt8(SyncMessage.messageAwareness)] + [UInt8](repeating: 0x20, count: DocumentHub.awarenessBytes - 1)
            _ = try await client.ws(path, configuration: .init(additionalHeaders: P.auth("t1"))) { inbound, outbound, _ in
                var frames = inbound.makeAsyncIterator()
                _ = try await frames.next()  // the hello
                for _ in 0..<200 { try await outbound.write(.binary(ByteBuffer(bytes: awareness))) }
                // Answered only once the hub has handled every frame before it.
                try await outbound.write(.binary(ByteBuffer(bytes: SyncMessage.step1(stateVector: Doc().encodeStateVector()).encoded())))
                _ = try await frames.next()
                try await outbound.close(.normalClosure, reason: nil)
            }
            // Reading again: what was queued for it was not sent, and the connection has ended.
            let (closed, bytes) = await stalled.readUntilClosed(waitingAtMost: 20)
            #expect(closed, "the dropped editor's connection was still open")
            #expect(bytes < 4 << 20, "the dropped editor was still sent \(bytes) bytes of its queue")
        }
    }

    /// A WebSocket client on a bare TCP socket with a small receive buffer,
    /// which reads the upgrade's answer and then nothing until asked.
    final class RawEditor: Sendable {
        let fd: Int32

        init(port: Int, path: String, token: String) throws {
            fd = try connectLoopback(port: port, receiveBuffer: 4_096)
            let request = Array(("GET \(path) HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                + "Authorization: Bearer \(token)\r\n\r\n").utf8)
            try #require(send(fd, request, request.count, 0) == request.count)
            var answer: [UInt8] = []
            var byte: UInt8 = 0
            while !answer.suffix(4).elementsEqual(Array("\r\n\r\n".utf8)), recv(fd, &byte, 1, 0) == 1 { answer.append(byte) }
            try #require(String(decoding: answer, as: UTF8.self).hasPrefix("HTTP/1.1 101"))
        }

        deinit { close(fd) }

        /// Reads until the server ends the connection (true) or `limit`
        /// seconds pass without a byte (false), on a thread of its own.
        func readUntilClosed(waitingAtMost limit: Int) async -> (closed: Bool, bytes: Int) {
            await withCheckedContinuation { continuation in
                Thread { [fd] in
                    var timeout = timeval(tv_sec: limit, tv_usec: 0)
                    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                    var buffer = [UInt8](repeating: 0, count: 1 << 16)
                    var total = 0
                    while true {
                        let n = recv(fd, &buffer, buffer.count, 0)
                        if n > 0 {
                            total += n
                            continue
                        }
                        continuation.resume(returning: (n == 0 || errno == ECONNRESET, total))
                        return
                    }
                }.start()
            }
        }
    }
}
