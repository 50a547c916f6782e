// y-protocols sync frames (the `/api/v1/workflows/{id}/sync` WebSocket's
// messages) -> SyncMessage.decode, answered as the service's DocumentHub
// answers them, with the YDoc API alone (fast; `fuzz-document-hub` takes
// the same frames through the hub itself and the store):
//
// - step 1 (a state vector): answered with step 2, `encodeStateAsUpdate(
//   stateVector:, includingPending: true)`;
// - step 2 or update: `checkUpdate`, then (stored, in the service)
//   `applyUpdate`, which must not fail once the check passed;
// - awareness and other types: relayed or ignored untouched.
//
// The room's document holds fixtures/ydoc/base.update, as a stored workflow
// document would. The input is a sequence of lib0 varBytes frames, one
// WebSocket message each. Properties: the hub's answers are frames that
// decode; a peer that joins where one of the first two step 1s comes (the room's whole state
// as step 2, then every update the room takes after it, as the hub sends
// them) reaches the room's state vector; and one fed the room's last
// state and then every update the room took never falls short of it.
import FuzzSupport
import YDoc

let base = Fixtures.bytes("ydoc/base.update")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzYDocSync(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let frames = Lib0Writer.frames([UInt8](UnsafeRawBufferPointer(start: start, count: count)))
    let room = Doc(clientID: 0)
    do { try room.applyUpdate(base) } catch { fatalError("base.update refused: \(error)") }
    // The peer that joined first: it got the room's state in step 2.
    let peer = Doc(clientID: 1)
    var relayed: [[UInt8]] = []
    // Peers that joined on the way, at the first two step 1s: each loads
    // the room's state and takes every later relay, which cost a fifth of
    // the target's speed for four.
    var joined: [Doc] = []
    // Whether two structs ever claimed one id in the room (the flag clears once nothing waits).
    var rivals = false
    for frame in frames {
        guard let decoded = try? SyncMessage.decode(frame) else { continue }
        switch decoded {
        case .sync(.step1(let stateVector)):
            if joined.count < 2, let whole = try? room.encodeStateAsUpdate(includingPending: true) {
                let late = Doc(clientID: 2)
                _ = try? late.applyUpdate(whole)
                joined.append(late)
            }
            guard let answer = try? room.encodeStateAsUpdate(stateVector: stateVector, includingPending: true) else { continue }
            let wire = SyncMessage.step2(update: answer).encoded()
            guard case .sync(.step2(let back))? = try? SyncMessage.decode(wire), back == answer else {
                require(false, "the step 2 answer does not decode to itself")
                continue
            }
        case .sync(.step2(let update)), .sync(.update(let update)):
            guard !update.isEmpty else { continue }
            guard (try? room.checkUpdate(update)) != nil else { continue }
            do { try room.applyUpdate(update) } catch {
                require(false, "applyUpdate refused (\(error)) an update checkUpdate had passed")
            }
            YDocChecks.sound(room, "the room")
            rivals = rivals || room.sawTwoStructsForOneId
            relayed.append(SyncMessage.update(update).encoded())
            for late in joined { _ = try? late.applyUpdate(update) }
        case .other:
            continue
        }
    }
    // The first peer: the room's state as a step 2 answer to an empty state vector, then the relays.
    let full = SyncMessage.step2(update: (try? room.encodeStateAsUpdate(stateVector: Doc(clientID: 9).encodeStateVector(), includingPending: true)) ?? []).encoded()
    for frame in [full] + relayed {
        guard case .sync(let message)? = try? SyncMessage.decode(frame) else {
            require(false, "a frame the hub sends does not decode")
            continue
        }
        switch message {
        case .step2(let update), .update(let update):
            _ = try? peer.applyUpdate(update)
            rivals = rivals || peer.sawTwoStructsForOneId
        case .step1: break
        }
    }
    // Finding 2 (Fuzz/README.md) reached live sync: step 2 includes the room's pending structs.
    for late in joined {
        require(late.stateVector == room.stateVector, "a peer that joined on the way has \(late.stateVector), the room \(room.stateVector)")
        require(late.contentJSON() == room.contentJSON(), "a peer that joined on the way holds other content than the room")
    }
    // Fed the updates again after the state that holds them: where two
    // structs claim one id (forged), the one the room took may have lost to
    // another that waited, and the peer may then take the other, as Yjs
    // 13.6 does (finding 20). It never has less, and without such rivals
    // it has the same.
    require(covers(peer, room), "a peer fed the room's answers has \(peer.stateVector), short of the room's \(room.stateVector)")
    require(rivals || peer.stateVector == room.stateVector,
            "a peer fed the room's answers has \(peer.stateVector), the room \(room.stateVector), and no two structs claimed one id")
    return 0
}

/// Whether `a` holds every clock `b` holds.
func covers(_ a: Doc, _ b: Doc) -> Bool {
    b.stateVector.allSatisfy { (a.stateVector[$0.key] ?? 0) >= $0.value }
}

// SwiftPM's entry for this executable; see FuzzSupport/Driver.swift.
@_cdecl("fuzz_ydoc_sync_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzYDocSync)
}
