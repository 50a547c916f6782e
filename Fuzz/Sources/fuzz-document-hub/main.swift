// y-protocols sync frames -> the service's DocumentHub itself (through
// `@_spi(Fuzz) DocumentHubDriver`): its checks, the store's document
// writes (revision, compaction every 100 updates) and its rooms, catching
// up with writes made elsewhere. `fuzz-ydoc-sync` answers frames as the hub
// does with YDoc alone; this target takes them through the hub and the
// store, as the sync socket (`/api/v1/workflows/{id}/sync`) does, without
// the socket.
//
// Input: byte 0 says who sends each of the first four frames, two bits a
// frame, then again for the next four, and so on: 0 and 1 are two editors
// of project p1; 2 is an editor of p2, whose join was refused, sending on a
// connection id the hub never gave out; 3 is, for an even frame, the first
// p1 editor leaving and joining again before it sends, and for an odd one
// the frame's update written to the store directly (as `cairn doc apply`
// does), then the hub's poll. The rest is lib0 varBytes frames, as in
// fuzz-ydoc-sync (at most 128, so a document can pass the 100 updates that
// compact it). Each input gets a document of its own: a new workflow id
// whose document first holds fixtures/ydoc/base.update, written by p1 and
// so p1's (who owns a document first written here is not what this target
// varies: DocumentOwnerPrecedenceTests and the access tests cover it).
//
// Properties:
// - p2's editor is refused its join, its frames are refused, and the owner
//   stays p1;
// - a frame the hub refuses (throws) stored nothing: the document's
//   revision is unchanged;
// - the hub's replies, and the relays its editors got by the end, decode;
// - at the end the room (its full step 2 answer, pending included) and the
//   stored document hold the same: state vector and content.
@_spi(Fuzz) import CairnServer
import CairnKit
import Foundation
import FuzzSupport
import LMDB
@_spi(Fuzz) import YDoc

let base = Fixtures.bytes("ydoc/base.update")

/// Where the run's stores go.
let scratch = scratchFolder("cairn-fuzz-hub-", inMemory: true)

/// A store and its hub, kept for `inputsPerStore` inputs: a store per input
/// would measure LMDB, and one store for the whole run would fill /dev/shm
/// (memory) with a document per input (about 45 KB of data file each).
/// Each input has a document of its own, so what the store holds besides
/// does not change what it does.
final class Generation {
    static let inputsPerStore = 2_000
    let folder: String
    let store: Store
    let hub: DocumentHubDriver

    init(_ number: Int) {
        folder = "\(scratch)/\(number)"
        // A folder left by a run with this pid must not lend its documents.
        try? FileManager.default.removeItem(atPath: folder)
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            store = try Store(path: folder, options: Environment.Options(noSync: true), notice: { _ in })
        } catch {
            fatalError("a store for the hub: \(error)")
        }
        hub = DocumentHubDriver(store: store)
    }
}

nonisolated(unsafe) var generation = Generation(0)
nonisolated(unsafe) var counter = 0

/// Frames the hub relays, by connection.
final class Relays: @unchecked Sendable {
    private let lock = NSLock()
    private var frames: [[UInt8]] = []
    func add(_ frame: [UInt8]) { lock.withLock { frames.append(frame) } }
    var all: [[UInt8]] { lock.withLock { frames } }
}

func decodes(_ frame: [UInt8]) -> Bool { (try? SyncMessage.decode(frame)) != nil }

/// A document's state and content as a fresh replica holds them.
func replica(_ update: [UInt8]) -> Doc? {
    let doc = Doc(clientID: 5)
    guard (try? doc.applyStoredUpdateForFuzzing(update)) != nil else { return nil }
    return doc
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDocumentHub(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = [UInt8](UnsafeRawBufferPointer(start: start, count: count))
    guard let who = bytes.first else { return 0 }
    let frames = Lib0Writer.frames(Array(bytes.dropFirst()), limit: 128)
    counter += 1
    if counter % Generation.inputsPerStore == 0 {
        let old = generation.folder
        generation = Generation(counter / Generation.inputsPerStore)
        try? FileManager.default.removeItem(atPath: old)
    }
    let (store, hub) = (generation.store, generation.hub)
    let workflowId = "w\(counter)"
    do { _ = try store.appendDocument(workflowId, [base], owner: "p1", writer: "p1") } catch {
        fatalError("base.update refused by the store: \(error)")
    }
    blocking {
        let relays = Relays()
        let projects = ["p1", "p1", "p2"]
        var connections: [Int?] = [nil, nil, nil]
        for (i, project) in projects.enumerated() {
            // p2 may not join p1's document: refused, nothing else.
            connections[i] = try? await hub.join(workflowId, project: project, send: { relays.add($0) }).connection
        }
        require(connections[2] == nil, "an editor of p2 joined p1's document")
        for (n, frame) in frames.enumerated() {
            var sender = Int(who >> (2 * UInt8(n % 4))) & 3
            if sender == 3 && n % 2 == 1 {
                // Written elsewhere: the room must catch up at the poll.
                if case .sync(let message)? = try? SyncMessage.decode(frame) {
                    switch message {
                    case .step2(let update), .update(let update): _ = try? store.applyDocumentUpdates(workflowId, [update])
                    case .step1: break
                    }
                }
                await hub.poll()
                continue
            }
            if sender == 3 {
                sender = 0
                if let old = connections[0] { await hub.leave(workflowId, old) }
                connections[0] = try? await hub.join(workflowId, project: "p1", send: { relays.add($0) }).connection
            }
            // p2's frames name connection 0, which the hub never gives out.
            let connection = connections[sender] ?? (sender == 2 ? 0 : nil)
            guard let connection else { continue }
            let before = (try? store.documentRevision(workflowId)) ?? 0
            do {
                if let reply = try await hub.receive(workflowId, from: connection, frame) {
                    require(decodes(reply), "the hub's reply does not decode: \(hex(reply))")
                }
            } catch {
                let after = (try? store.documentRevision(workflowId)) ?? 0
                require(after == before, "a refused frame (\(error)) stored something: revision \(before) -> \(after)")
            }
        }
        require((try? store.recordedDocumentOwner(workflowId)) == "p1", "the document's owner changed")
        // The room as a new peer gets it, then the stored document.
        let probe = try? await hub.join(workflowId, project: "p1", send: { _ in })
        guard let probe,
              let answer = try? await hub.receive(workflowId, from: probe.connection, SyncMessage.step1(stateVector: [0]).encoded())
        else {
            require(false, "a p1 editor could not join, or ask for the room's state")
            return
        }
        guard case .sync(.step2(let roomState))? = try? SyncMessage.decode(answer) else {
            require(false, "step 1 was not answered with step 2: \(hex(answer))")
            return
        }
        let stored = (try? store.exportDocument(workflowId)) ?? []
        guard let room = replica(roomState), let disk = replica(stored) else {
            require(false, "the room's state or the stored document does not load")
            return
        }
        require(room.stateVector == disk.stateVector, "the room has \(room.stateVector), the store \(disk.stateVector)")
        require(room.contentJSON() == disk.contentJSON(), "the room and the store hold different content")
        for frame in relays.all { require(decodes(frame), "a relayed frame does not decode: \(hex(frame))") }
        for connection in connections.compactMap({ $0 }) + [probe.connection] { await hub.leave(workflowId, connection) }
    }
    return 0
}

// SwiftPM's entry for this executable; see FuzzSupport/Driver.swift.
@_cdecl("fuzz_document_hub_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzDocumentHub)
}
