import CairnKit
import Hummingbird
import HummingbirdWebSocket
import YDoc

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
        let (connection, hello) = try await hub.join(id, project: caller.project, tokenId: caller.actor.tokenId) { frame in
            try? await outbound.write(.binary(ByteBuffer(bytes: frame)))
        } close: {
            // The document became another project's, or the token was revoked, while this socket was quiet (docs/http.md).
            try? await outbound.close(.policyViolation, reason: "no longer allowed: the document is another project's or the token was revoked")
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
            do {
                if let reply = try await hub.receive(id, from: connection, Array(buffer.readableBytesView)) {
                    try await outbound.write(.binary(ByteBuffer(bytes: reply)))
                }
            } catch let error as DocumentAccessError {
                // The document is another project's now (first written by its editor): the socket closes.
                context.logger.warning("sync \(id): \(error)")
                return
            } catch {
                context.logger.warning("sync \(id): refused a frame: \(error)")
            }
        }
    }
    return router
}
