import CairnKit
import Foundation
import YDoc

/// Live document sync (y-protocols over WebSocket): one room per workflow
/// holding the document and its connections. The protocol logic lives here,
/// free of I/O, so it is tested by feeding it frames.
actor DocumentHub {
    let store: Store
    private var rooms: [String: Room] = [:]
    private var nextConnection = 0

    final class Room {
        let doc: Doc
        var connections: [Int: @Sendable ([UInt8]) async -> Void] = [:]
        init(doc: Doc) { self.doc = doc }
    }

    init(store: Store) {
        self.store = store
    }

    /// Registers a connection; returns its id and the server's step 1, which
    /// asks the client for what the server lacks.
    func join(_ workflowId: String, send: @escaping @Sendable ([UInt8]) async -> Void) throws -> (Int, [UInt8]) {
        let room = try room(workflowId)
        nextConnection += 1
        room.connections[nextConnection] = send
        return (nextConnection, SyncMessage.step1(stateVector: room.doc.encodeStateVector()).encoded())
    }

    func leave(_ workflowId: String, _ connection: Int) {
        rooms[workflowId]?.connections.removeValue(forKey: connection)
        if rooms[workflowId]?.connections.isEmpty == true { rooms.removeValue(forKey: workflowId) }
    }

    /// Handles one frame from `connection`: returns the reply for it, and
    /// relays changes to the room's other connections (after storing them).
    func receive(_ workflowId: String, from connection: Int, _ frame: [UInt8]) async throws -> [UInt8]? {
        let room = try room(workflowId)
        switch try SyncMessage.decode(frame) {
        case .sync(.step1(let stateVector)):
            return SyncMessage.step2(update: try room.doc.encodeStateAsUpdate(stateVector: stateVector)).encoded()
        case .sync(.step2(let update)), .sync(.update(let update)):
            let before = room.doc.encodeStateVector()
            try room.doc.applyUpdate(update)  // throws on a malformed update: nothing stored or relayed
            guard room.doc.encodeStateVector() != before || !update.isEmpty else { return nil }
            try store.documents.append(workflowId, [update])
            let relay = SyncMessage.update(update).encoded()
            for (id, send) in room.connections where id != connection { await send(relay) }
            return nil
        case .other(SyncMessage.messageAwareness):
            for (id, send) in room.connections where id != connection { await send(frame) }
            return nil
        case .other:
            return nil
        }
    }

    private func room(_ workflowId: String) throws -> Room {
        if let room = rooms[workflowId] { return room }
        let room = Room(doc: try store.documents.load(workflowId))
        rooms[workflowId] = room
        return room
    }
}
