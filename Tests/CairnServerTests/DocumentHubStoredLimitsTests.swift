import CairnKit
import Foundation
import TestSupport
import Testing
import YDoc

@testable import CairnServer

/// What the store holds was accepted when it came in: a room catching up
/// applies it without the limits on new input (`Doc.applyStoredUpdate`,
/// docs/documents.md "Limits"), or content that passed its checks
/// separately but not together would leave the room unable to catch up,
/// and every frame of its editors refused, until the server restarts.
@Suite struct DocumentHubStoredLimitsTests {
    /// A raw v1 update of one 1-long GC struct for each of `clients`.
    static func gcUpdate(_ clients: ClosedRange<UInt64>) -> [UInt8] {
        var bytes: [UInt8] = []
        func varUInt(_ value: UInt64) {
            var v = value
            while v >= 0x80 {
                bytes.append(UInt8(v & 0x7F) | 0x80)
                v >>= 7
            }
            bytes.append(UInt8(v))
        }
        varUInt(UInt64(clients.count))
        for client in clients.reversed() {
            varUInt(1)  // structs
            varUInt(client)
            varUInt(0)  // clock
            bytes.append(0)  // GC
            varUInt(1)  // length
        }
        varUInt(0)  // no deletions
        return bytes
    }

    /// Two writers, each within `Doc.maxClients` alone, stored past it together.
    @Test func aRoomCatchesUpOnStoredContentPastTheLimitsForNewInput() async throws {
        let folder = TemporaryFolder()
        let store = try Store(path: folder.path)
        let hub = DocumentHub(store: store)
        let heard = DocumentHubTests.Inbox()
        let (editor, _) = try await hub.join("w") { heard.add($0) }
        let half = UInt64(Doc.maxClients / 2)
        let first = Self.gcUpdate(1...(half + 1))
        let second = Self.gcUpdate((half + 2)...(2 * half + 2))
        for update in [first, second] {
            try Doc(clientID: 0).checkUpdate(update)  // each passes alone
            try store.documents.append("w", [update])
        }

        await hub.poll()
        #expect(await heard.arrived(1).count == 1)  // the editor hears what was stored
        let reply = try await hub.receive("w", from: editor, SyncMessage.step1(stateVector: Doc(clientID: 9).encodeStateVector()).encoded())
        guard case .sync(.step2(let update))? = try reply.map(SyncMessage.decode) else {
            Issue.record("no step 2 answered the step 1")
            return
        }
        let received = Doc(clientID: 9)
        try received.applyStoredUpdate(update)
        #expect(received.stateVector == (try store.documents.load("w")).stateVector)
        #expect(received.stateVector.count > Doc.maxClients)
    }
}
