import CairnKit
import Foundation
import Hummingbird
import HummingbirdTesting
import HummingbirdWebSocket
import TestSupport
import Testing
import YDoc

@testable import CairnServer

/// A sync frame whose update the store could not take (full, no reader
/// slot, an I/O error) was logged and the socket kept open. y-protocols
/// has no acknowledgement, so the editor went on as if it were stored:
/// every later update of its waited on the missing one, in every replica,
/// for good. The socket now closes with 1011, and the editor's reconnect
/// sends again what the server lacks (session 24's review).
@Suite struct SyncStoreFailureTests {
    typealias P = TwoProjects

    @Test func aFrameTheStoreCannotTakeClosesTheSocket() async throws {
        let p = try TwoProjects(options: .init(mapSize: 1 << 20, maxMapSize: 2 << 20))
        let editor = Doc(clientID: 1)
        editor.transact { txn in editor.map("workflow").set("name", .string("never stored"), txn) }
        let frame = SyncMessage.update(try editor.encodeStateAsUpdate()).encoded()
        let store = p.store
        let revisionBefore = try store.documents.revision(P.workflowA)
        try await makeApplication(store: store, configuration: ServerConfiguration(port: 0, runScheduler: false)).test(.live) { client in
            let close = try await client.ws(
                "/api/v1/workflows/\(P.workflowA)/sync", configuration: .init(additionalHeaders: P.auth("t1"))
            ) { inbound, outbound, _ in
                var frames = inbound.makeAsyncIterator()
                _ = try await frames.next()  // the hello: the hub has the socket
                try Self.fill(store)
                try await outbound.write(.binary(ByteBuffer(bytes: frame)))
                // Kept open, the server never says a word more: the client gives up after a while.
                let giveUp = Task {
                    try await Task.sleep(for: .seconds(10))
                    try await outbound.close(.normalClosure, reason: nil)
                }
                defer { giveUp.cancel() }
                while try await frames.next() != nil {}
            }
            #expect(close?.closeCode == .unexpectedServerError, "the socket stayed open after its update was not stored")
        }
        #expect(try store.documents.revision(P.workflowA) == revisionBefore)
    }

    /// Fills the store to its map ceiling: large values first, then ever
    /// smaller ones, until not even a small one fits.
    static func fill(_ store: Store) throws {
        let filler = try store.environment.database("filler")
        var key = 0
        for size in [50_000, 4_000, 500, 40] {
            while (try? store.environment.write({ txn in
                try txn.put(filler, key: Array("\(key)".utf8), value: [UInt8](repeating: 1, count: size))
            })) != nil {
                key += 1
            }
        }
    }
}
