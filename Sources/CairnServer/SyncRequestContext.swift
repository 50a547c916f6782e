import Hummingbird
import HummingbirdWebSocket
import NIOConcurrencyHelpers
import NIOCore

/// The request context of the sync route: hummingbird-websocket's basic one,
/// except that the upgrade can be let go of.
///
/// hummingbird-websocket (2.x) hands the upgrade's handler from the route
/// to the channel in a box inside the request context
/// (`WebSocketHandlerReference`), and the box's value holds that same
/// context: box -> value -> context -> box. Nothing breaks the cycle, so
/// every upgraded connection leaked its context and handler for good
/// (LeakSanitizer, docs/reliability.md "Sanitizers"); in tests each one
/// kept its whole store, LMDB environment included. Here the context holds
/// the reference through a holder that the socket's handler empties when
/// the socket ends (`letGoOfUpgrade`), which breaks the cycle.
struct SyncRequestContext: RequestContext, WebSocketRequestContext {
    var coreContext: CoreRequestContextStorage
    private let holder: Holder
    /// The connection itself: the hub's frames are written to it directly,
    /// to learn when they have left (`SyncRoute`), and a dropped editor's
    /// connection is ended through it.
    let channel: any Channel

    init(source: Source) {
        coreContext = .init(source: source)
        holder = Holder()
        channel = source.channel
    }

    var webSocket: WebSocketHandlerReference<SyncRequestContext> {
        holder.reference.withLockedValue { reference in
            if let reference { return reference }
            // Asked again after the socket ended: an empty one, holding nothing.
            return WebSocketHandlerReference()
        }
    }

    /// Called by the socket's handler when it returns: the upgrade's box,
    /// which holds this context, is no longer held by it.
    func letGoOfUpgrade() {
        holder.reference.withLockedValue { $0 = nil }
    }

    private final class Holder: Sendable {
        let reference = NIOLockedValueBox<WebSocketHandlerReference<SyncRequestContext>?>(WebSocketHandlerReference())
    }
}
