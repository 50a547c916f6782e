import CairnKit
import Hummingbird
import HummingbirdWebSocket
import NIOCore
import NIOWebSocket
import YDoc

/// How long a socket whose frame the store failed on waits before it
/// closes (1011): y-websocket reconnects at once after a socket that had
/// opened, so a failure that lasts would otherwise loop without pause.
let closeAfterStoreFailure: Duration = .seconds(2)

/// How long a dropped editor's socket has to take its close frame before
/// its connection is ended outright.
let dropGrace: Duration = .seconds(5)

/// How long a frame of the hub may wait for the socket to take it before
/// the connection is ended: long enough for a slow link and a large frame.
let stalledWriteDeadline: TimeAmount = .seconds(60)

/// `GET /api/v1/workflows/{id}/sync`, upgraded to a WebSocket speaking
/// y-protocols: the document store's editors meet here and every change is
/// stored before it is relayed.
/// Outside writes reach its rooms through `hub.poll()` (`HubPoller`, run by `makeApplication`).
func makeSyncRouter(
    store: Store, configuration: ServerConfiguration, hub: DocumentHub, metrics: ServerMetrics? = nil,
    draining: Draining = Draining()
) -> Router<SyncRequestContext> {
    let router = Router(context: SyncRequestContext.self)
    router.add(middleware: RequestObserver(metrics: metrics, webSocketUpgrades: true))
    let auth = Authorization(store: store, rejected: { metrics?.tokenRejected($0) })
    router.ws("/api/v1/workflows/:id/sync") { request, context in
        // A service shutting down takes no new editors.
        guard let id = try? context.parameters.decoded("id"), !draining.isOn else { return .dontUpgrade }
        // Another project's document, or an old one nobody owns: no upgrade (docs/http.md).
        do {
            guard try store.mayEditDocument(id, project: try auth.caller(request, needs: .editor).project) else {
                return .dontUpgrade
            }
        } catch {
            return .dontUpgrade
        }
        return .upgrade([:])
    } onUpgrade: { inbound, outbound, context in
        defer { context.requestContext.letGoOfUpgrade() }
        guard let id = try? context.requestContext.parameters.decoded("id") else { return }
        let caller = try auth.caller(context.request, needs: .editor)
        let channel = context.requestContext.channel
        try await NothingAfterClose.install(on: channel)
        let (connection, hello) = try await hub.join(id, project: caller.project, tokenId: caller.actor.tokenId) { frame in
            // Written to the channel, and awaited until the socket has it:
            // the socket's async writer returns once a frame is handed to
            // the event loop, before NIO counts it against the channel's
            // writability, so while the loop was busy an editor that read
            // nothing had 85 MB queued for it and its outbox never filled
            // (docs/reliability.md, session 24). Awaited here, what the
            // editor has not taken stays in its outbox and counts there.
            // A socket that takes nothing for a minute is ended: an editor
            // that stops reading in a quiet room never fills its outbox, and
            // once the socket is not writable the ping's close (a write too)
            // waits for ever. Cancelling this task would not end the wait.
            let written = channel.eventLoop.makePromise(of: Void.self)
            let deadline = channel.eventLoop.scheduleTask(in: stalledWriteDeadline) { channel.close(promise: nil) }
            written.futureResult.whenComplete { _ in deadline.cancel() }
            channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .binary, data: ByteBuffer(bytes: frame)), promise: written)
            try? await written.futureResult.get()
        } close: {
            // The room dropped this editor: the document became another
            // project's or the token was revoked while it was quiet, or it
            // stopped reading (docs/http.md). One that stopped reading never
            // takes the close frame (it waits behind what it left unread),
            // and neither the idle timeout nor the ping's close (a write
            // too) ends an upgraded socket then: the connection is ended a
            // few seconds on, and what was queued for it goes with it.
            Task {
                try? await Task.sleep(for: dropGrace)
                channel.close(promise: nil)
            }
            try? await outbound.close(.policyViolation, reason: "dropped: no longer allowed, or not reading")
        }
        defer { Task { await hub.leave(id, connection) } }
        // Shutting down: editors are told the service is going away (1001), so they reconnect later.
        let goodbye = draining.register {
            try? await outbound.close(.goingAway, reason: "the service is shutting down")
        }
        defer { draining.unregister(goodbye) }
        try await outbound.write(.binary(ByteBuffer(bytes: hello)))
        for try await message in inbound.messages(maxSize: configuration.limits.socketMessageBytes) {
            guard case .binary(let buffer) = message else { continue }
            let reply: [UInt8]?
            do {
                reply = try await hub.receive(id, from: connection, Array(buffer.readableBytesView))
            } catch let error as DocumentAccessError {
                // The document is another project's now (first written by its editor): the socket closes.
                context.logger.warning("sync \(id): \(error)")
                return
            } catch let error as YDocError {
                context.logger.warning("sync \(id): refused a frame: \(error)")
                continue
            } catch let error as SyncFrameRefused {
                context.logger.warning("sync \(id): \(error)")
                continue
            } catch {
                // The store failed (no reader slot, full, an I/O error): the
                // frame's update may not be stored, and y-protocols has no
                // acknowledgement to say so. Kept open, the socket went on
                // as if it were: the editor's later updates waited on it for
                // good. Closed, the editor reconnects and its sync sends
                // again what the server lacks (docs/http.md). Not at once: a
                // failure that lasts (a full store) would have y-websocket
                // reconnect, resend and fail again without pause.
                context.logger.error("sync \(id): closing, a frame could not be handled: \(error)")
                try? await Task.sleep(for: closeAfterStoreFailure)
                try? await outbound.close(.unexpectedServerError, reason: "the service could not store the update; reconnect")
                return
            }
            if let reply { try await outbound.write(.binary(ByteBuffer(bytes: reply))) }
        }
    }
    return router
}
