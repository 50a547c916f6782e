public import CairnKit

/// The document hub's frame handling, for the `fuzz-document-hub` target
/// (Fuzz/README.md): the sync socket's frames go through `DocumentHub`
/// itself, its checks, the store's document writes and compaction, with no
/// socket. `@_spi(Fuzz)`, so the hub stays internal to everything else.
@_spi(Fuzz) public final class DocumentHubDriver: Sendable {
    let hub: DocumentHub

    public init(store: Store) { hub = DocumentHub(store: store) }

    /// Joins a connection of `project` (`nil`: an open server's) to the
    /// document's room; returns its id and the hub's step 1. Frames the hub
    /// relays to it go to `send`.
    public func join(
        _ workflowId: String, project: String?, send: @escaping @Sendable ([UInt8]) async -> Void
    ) async throws -> (connection: Int, step1: [UInt8]) {
        try await hub.join(workflowId, project: project, send: send)
    }

    /// One frame from `connection`; the hub's reply, if any.
    public func receive(_ workflowId: String, from connection: Int, _ frame: [UInt8]) async throws -> [UInt8]? {
        try await hub.receive(workflowId, from: connection, frame)
    }

    public func leave(_ workflowId: String, _ connection: Int) async { await hub.leave(workflowId, connection) }

    /// What another process's write would trigger: the rooms catch up with the store.
    public func poll() async { await hub.poll() }
}
