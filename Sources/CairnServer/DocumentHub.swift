import CairnKit
import Foundation
import NIOConcurrencyHelpers
import YDoc

/// Live document sync (y-protocols over WebSocket): one room per workflow
/// holding the document and its connections. The protocol logic lives here,
/// free of I/O, so it is tested by feeding it frames.
actor DocumentHub {
    let store: Store
    /// The hub stores updates (an LMDB write, an fsync) inside its checks:
    /// on its own thread, not the cooperative pool every request shares.
    private let executor = OwnThread(label: "cairn.server.document-hub")
    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
    /// Where the room and socket gauges go (`nil`: nowhere).
    let metrics: ServerMetrics?
    private var rooms: [String: Room] = [:]
    /// The largest awareness message relayed (y-protocols' awareness: each
    /// client's name, colour and cursor, as JSON).
    static let awarenessBytes = 64 << 10
    private var nextConnection = 0

    final class Room {
        let doc: Doc
        /// The stored document's revision this room's doc includes.
        var revision: UInt64
        var connections: [Int: Connection] = [:]
        init(doc: Doc, revision: UInt64) {
            self.doc = doc
            self.revision = revision
        }
    }

    struct Connection {
        /// The project of the connection's token; `nil` on an open server.
        let project: String?
        /// The token it joined with; checked again at every frame and every
        /// poll, so a revoked or expired token loses its open socket too.
        /// `nil` on an open server (and for callers that checked access themselves).
        var tokenId: String? = nil
        /// Its frames, sent in order by a task of its own: the hub never
        /// waits for a socket (an editor that stops reading would stall
        /// every room the hub serves).
        let outbox: Outbox
        /// Ends the connection (its socket): the document is not its project's any more.
        let close: @Sendable () async -> Void

        /// Queues `frame`; `false` when the editor has this many frames
        /// unread already (it is not reading: the caller drops it).
        func send(_ frame: [UInt8]) -> Bool { outbox.offer(frame) }
    }

    /// A connection's frames on their way out, in order, through its own task.
    final class Outbox: Sendable {
        /// Frames queued and not yet written before the editor counts as stalled.
        static let capacity = 1_024
        /// Bytes queued and not yet written before the editor counts as
        /// stalled (`RequestLimits.socketQueueBytes`, 64 MiB by default). A
        /// frame larger than this alone is still queued when nothing else is.
        let capacityBytes: Int
        private let queue: AsyncStream<[UInt8]>.Continuation
        private let writer: Task<Void, Never>
        private let queuedBytes: NIOLockedValueBox<Int>

        init(capacityBytes: Int, _ send: @escaping @Sendable ([UInt8]) async -> Void) {
            self.capacityBytes = capacityBytes
            let (frames, queue) = AsyncStream<[UInt8]>.makeStream(bufferingPolicy: .bufferingOldest(Self.capacity))
            let queuedBytes = NIOLockedValueBox(0)
            self.queue = queue
            self.queuedBytes = queuedBytes
            writer = Task {
                for await frame in frames {
                    if Task.isCancelled { break }  // abandoned: the rest goes unwritten
                    await send(frame)
                    queuedBytes.withLockedValue { $0 -= frame.count }
                }
            }
        }

        func offer(_ frame: [UInt8]) -> Bool {
            let room = queuedBytes.withLockedValue { queued in
                guard queued == 0 || queued + frame.count <= capacityBytes else { return false }
                queued += frame.count
                return true
            }
            guard room else { return false }
            if case .dropped = queue.yield(frame) {
                queuedBytes.withLockedValue { $0 -= frame.count }
                return false
            }
            return true
        }

        /// No more frames: what is queued is still written, then the task ends.
        func finish() { queue.finish() }

        /// The connection was dropped: what is queued is not written (an
        /// editor that stopped reading kept up to `capacityBytes` queued
        /// until its socket ended).
        func abandon() {
            queue.finish()
            writer.cancel()
        }

        /// A connection dropped without `leave` (its hub went, at shutdown or
        /// at the end of a test): the writer would otherwise wait for frames
        /// forever, holding what it sends to (LeakSanitizer found those).
        deinit { queue.finish() }
    }

    /// What an editor may leave unread before it is dropped (`Outbox`).
    let outboxBytes: Int

    init(store: Store, metrics: ServerMetrics? = nil, outboxBytes: Int = RequestLimits().socketQueueBytes) {
        self.store = store
        self.metrics = metrics
        self.outboxBytes = outboxBytes
    }

    /// `cairn_sync_rooms` and `cairn_sync_sockets`, after every change of the rooms.
    private func updateGauges() {
        metrics?.syncChanged(rooms: rooms.count, sockets: rooms.values.reduce(0) { $0 + $1.connections.count })
    }

    /// The queue the hub's code runs on (tests check it is the hub's own).
    func queueName() -> String? { currentQueueName() }

    /// Registers a connection of a token of `project` (`nil`: no token);
    /// returns its id and the server's step 1, which asks the client for
    /// what the server lacks. Another project's document is refused
    /// (`Store.mayEditDocument`). `close` is called when the room drops
    /// the connection because the document became another project's.
    func join(
        _ workflowId: String, project: String? = nil, tokenId: String? = nil,
        send: @escaping @Sendable ([UInt8]) async -> Void, close: @escaping @Sendable () async -> Void = {}
    ) throws -> (Int, [UInt8]) {
        try requireAccess(workflowId, project)
        let room = try room(workflowId)
        nextConnection += 1
        room.connections[nextConnection] = Connection(project: project, tokenId: tokenId, outbox: Outbox(capacityBytes: outboxBytes, send), close: close)
        updateGauges()
        return (nextConnection, SyncMessage.step1(stateVector: room.doc.encodeStateVector()).encoded())
    }

    func leave(_ workflowId: String, _ connection: Int) {
        rooms[workflowId]?.connections.removeValue(forKey: connection)?.outbox.finish()
        if rooms[workflowId]?.connections.isEmpty == true { rooms.removeValue(forKey: workflowId) }
        updateGauges()
    }

    /// Handles one frame from `connection`: returns the reply for it, and
    /// relays changes to the room's other connections. An update is stored
    /// before the room's document applies it, and relayed after.
    func receive(_ workflowId: String, from connection: Int, _ frame: [UInt8]) async throws -> [UInt8]? {
        let room = try room(workflowId)
        // The document may have become another project's since the join (a
        // new document, first written by another project's editor).
        _ = try stillAllowed(workflowId, room, connection)
        try await catchUp(workflowId, room)
        // catchUp suspends (sends, closes): other frames, polls and other
        // processes' writes may have run meanwhile and made the document
        // another project's, or dropped this connection. Checked again
        // here, after the last suspension before the reply or the write;
        // the write checks once more in its own transaction.
        let project = try stillAllowed(workflowId, room, connection)
        switch try SyncMessage.decode(frame) {
        case .sync(.step1(let stateVector)):
            return SyncMessage.step2(update: try room.doc.encodeStateAsUpdate(stateVector: stateVector, includingPending: true)).encoded()
        case .sync(.step2(let update)), .sync(.update(let update)):
            guard !update.isEmpty else { return nil }
            try await storeAndRelay(update, workflowId, room, writer: project, except: connection)
            return nil
        case .other(SyncMessage.messageAwareness):
            // Names and cursors, a few hundred bytes: relayed unread, so a
            // large one is refused rather than copied to every editor.
            guard frame.count <= Self.awarenessBytes else {
                throw SyncFrameRefused(
                    reason: "an awareness message of \(frame.count) bytes; at most \(Self.awarenessBytes)")
            }
            // Before the first write anyone may be in the room, so they go
            // only to the sender's own project.
            deliver(frame, in: room, to: await audience(workflowId, room).filter { $0.key != connection && ($0.value.project ?? project) == project })
            return nil
        case .other:
            return nil
        }
    }

    /// A change made by the server's own replica for a caller of `project`
    /// (the page's cron input select, docs/page.md), taking the path of an
    /// editor's update: `edit` changes a replica of the room's document in
    /// a Yjs transaction; what it changed is checked, stored (with the same
    /// owner checks), applied to the room and relayed to every editor in
    /// it. Returns whether anything changed.
    @discardableResult
    func edit(_ workflowId: String, project: String?, _ edit: @Sendable (Doc) throws -> Void) async throws -> Bool {
        try requireAccess(workflowId, project)
        let room = try room(workflowId)
        // A room opened for this edit alone goes with it (as `leave` would).
        defer {
            if room.connections.isEmpty, rooms[workflowId] === room {
                rooms.removeValue(forKey: workflowId)
                updateGauges()
            }
        }
        try await catchUp(workflowId, room)
        // After the last suspension: the document may have moved meanwhile.
        try requireAccess(workflowId, project)
        let replica = Doc()
        try replica.applyStoredUpdate(try room.doc.encodeStateAsUpdate(includingPending: true))
        let before = replica.encodeStateVector()
        try edit(replica)
        let update = try replica.encodeStateAsUpdate(stateVector: before)
        guard update.count > 2 else { return false }  // nothing changed: nothing stored or sent
        try await storeAndRelay(update, workflowId, room, writer: project, except: nil)
        return true
    }

    /// Stores `update` (a writer's, or the server's own replica's), then
    /// applies it to the room and relays it to the room's editors but
    /// `except`. Stored before the room has it: a store failure leaves no
    /// editor (relay or step 2 answer) with an update that was never saved.
    private func storeAndRelay(
        _ update: [UInt8], _ workflowId: String, _ room: Room, writer project: String?, except connection: Int?
    ) async throws {
        try room.doc.checkUpdate(update)  // a malformed update: nothing stored or relayed
        let owner = try ownerToRecord(workflowId, room, update, writer: project)
        let revision = try store.appendDocument(workflowId, [update], owner: owner, writer: project)
        // Checked against this very state (no suspension since), so it applies.
        try room.doc.applyUpdate(update)
        if revision == room.revision + 1 {
            room.revision = revision
        } else {
            // Another writer came in between. What it wrote, if it cannot be
            // read now, reaches the room at a later poll (the room's revision
            // stays behind); this update is relayed regardless. Stored and in
            // the room, it is in no later catch-up's difference, so an error
            // thrown here left the other editors without it until they
            // reconnected, and answered its writer with a failure.
            try? await catchUp(workflowId, room)
        }
        // A first write makes the document its writer's: other projects' editors leave here.
        let relay = SyncMessage.update(update).encoded()
        deliver(relay, in: room, to: await audience(workflowId, room).filter { $0.key != connection })
    }

    /// Brings every open room up to what is stored: updates written by
    /// someone else (a publish writing its problems into the document, the
    /// CLI, another process) reach the room's editors. The service calls it
    /// every half second; it reads one revision per room when nothing changed.
    func poll() async {
        for (workflowId, room) in rooms {
            do {
                try await catchUp(workflowId, room)
            } catch {
                // A document that cannot be read now is retried at the next poll.
            }
            // A token revoked (or expired) while its socket was quiet loses it within a poll.
            _ = await audience(workflowId, room)
        }
    }

    /// Applies to the room what the store has and the room lacks, and sends
    /// it to every editor in the room.
    private func catchUp(_ workflowId: String, _ room: Room) async throws {
        guard try store.documentRevision(workflowId) != room.revision else { return }
        let (stored, revision) = try store.loadDocumentWithRevision(workflowId)
        let missing = try stored.encodeStateAsUpdate(stateVector: room.doc.encodeStateVector(), includingPending: true)
        // Stored content was checked when it came in: updates that passed
        // separately may together exceed the limits for new input
        // (docs/documents.md, "Limits"), and must not leave the room unable to catch up.
        try room.doc.applyStoredUpdate(missing)
        room.revision = revision
        // Someone else wrote: what the room lacked (and, as Yjs diffs do, the
        // whole delete set, which may be all that changed) goes to every editor.
        let relay = SyncMessage.update(missing).encoded()
        deliver(relay, in: room, to: await audience(workflowId, room))
    }

    /// The room's connections that may hear the document now, checked at
    /// every send: a connection passed the check when it joined or last sent
    /// a frame, but the document may have become another project's since,
    /// written elsewhere (`cairn doc apply`, another process) while it said
    /// nothing. The others are dropped from the room and closed. When who
    /// may edit cannot be worked out, every connection of a token is: a
    /// document is never sent where it might not belong, and they can join again.
    private func audience(_ workflowId: String, _ room: Room) async -> [Int: Connection] {
        // No token in the room (an open server, still open): everyone may hear everything.
        guard room.connections.values.contains(where: { $0.project != nil }) || (try? store.hasTokens()) != false else {
            return room.connections
        }
        let access = try? store.documentAccess(workflowId, content: room.doc)
        let dropped = room.connections.filter { entry in
            !credentialsHold(entry.value) || (entry.value.project != nil && access?.allows(entry.value.project) != true)
        }
        for id in dropped.keys { room.connections.removeValue(forKey: id) }
        if !dropped.isEmpty { updateGauges() }
        let audience = room.connections
        for connection in dropped.values { connection.outbox.abandon() }
        closeWithoutWaiting(dropped.values)
        return audience
    }

    /// The project of `connection` if it is still in the room and may
    /// still edit the document; else throws `DocumentAccessError`.
    private func stillAllowed(_ workflowId: String, _ room: Room, _ connection: Int) throws -> String? {
        guard rooms[workflowId] === room, let joined = room.connections[connection] else {
            throw DocumentAccessError(workflowId: workflowId, project: "", reason: "the connection is no longer in the room")
        }
        guard credentialsHold(joined) else {
            throw DocumentAccessError(
                workflowId: workflowId, project: joined.project ?? "", reason: "its token was revoked or has expired")
        }
        try requireAccess(workflowId, joined.project)
        return joined.project
    }

    /// Whether what `connection` joined with still admits it: its token is
    /// neither revoked nor expired; a connection of an open server, that
    /// the server is still open (a token made since closes the API to it).
    /// When the store cannot be read, it does not.
    private func credentialsHold(_ connection: Connection) -> Bool {
        if let id = connection.tokenId {
            return (try? store.token(id))?.isUsable(at: .now()) == true
        }
        if connection.project == nil { return (try? store.hasTokens()) == false }
        return true
    }

    private func requireAccess(_ workflowId: String, _ project: String?) throws {
        guard try store.mayEditDocument(workflowId, project: project) else {
            throw DocumentAccessError(workflowId: workflowId, project: project ?? "")
        }
    }

    /// The owner to record with `update`, while the document has none: what
    /// `Store.ownerToRecord` says of the content the update leads to. Worked
    /// out on a copy, so the room applies the update only once it is stored.
    private func ownerToRecord(_ workflowId: String, _ room: Room, _ update: [UInt8], writer: String?) throws -> String? {
        guard try store.recordedDocumentOwner(workflowId) == nil else { return nil }
        // No token (an open server): nothing to refuse, and the owner is only
        // what the content names, read from the room's document as it is
        // (an update naming a project is recorded at the next write). A
        // document naming none never gets an owner: a copy per write would
        // make editing it cost the square of its size.
        guard writer != nil else { return try store.ownerToRecord(workflowId, room.doc) }
        let result = Doc(clientID: 0)
        // The room's own state, limits already applied when it came in.
        try result.applyStoredUpdate(try room.doc.encodeStateAsUpdate(includingPending: true))
        try result.applyUpdate(update)
        return try store.ownerToRecord(workflowId, result, writer: writer)
    }

    /// Queues `frame` for each of `peers`. One that has stopped reading
    /// (its outbox is full) leaves the room and is closed: it reconnects
    /// and syncs again, rather than hold a growing queue.
    private func deliver(_ frame: [UInt8], in room: Room, to peers: [Int: Connection]) {
        var stalled: [Connection] = []
        for (id, peer) in peers where !peer.send(frame) {
            room.connections.removeValue(forKey: id)
            peer.outbox.abandon()
            stalled.append(peer)
        }
        if !stalled.isEmpty {
            updateGauges()
            closeWithoutWaiting(stalled)
        }
    }

    /// Closes connections on tasks of their own: a close writes to the
    /// socket, and a socket nobody reads would hold the hub.
    private func closeWithoutWaiting(_ connections: some Sequence<Connection>) {
        for connection in connections { Task { await connection.close() } }
    }

    private func room(_ workflowId: String) throws -> Room {
        if let room = rooms[workflowId] { return room }
        let (doc, revision) = try store.loadDocumentWithRevision(workflowId)
        let room = Room(doc: doc, revision: revision)
        rooms[workflowId] = room
        updateGauges()
        return room
    }
}

/// A frame the hub refuses without closing the socket (the route logs it).
struct SyncFrameRefused: Error, CustomStringConvertible {
    let reason: String
    var description: String { "refused: \(reason)" }
}
