// Structure-aware Yjs fuzzing: the fuzzer's bytes are choices for
// `UpdateGenerator`, which writes updates with valid headers and clocks that
// follow the document, so mutations reach integration (origins, parents,
// map entries, splits, pending structs, deletes) instead of dying in the
// decoder. Between updates, local edits through the public API (a map, an
// array, a text) interleave local and remote integration.
//
// Two replicas: A applies every generated update as it comes; B receives
// them in reverse order (pending structs and deletes must wait for what
// they depend on). Yjs converges in any order, in one pass.
//
// Properties: those of `YDocChecks.apply` for every update; A and B end
// with the same state vector when B receives A's local edits too; each
// replica round-trips (`YDocChecks.roundTrips`).
import FuzzSupport
import YDoc

let base = Fixtures.bytes("ydoc/base.update")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzYDocStructured(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    var gen = UpdateGenerator(FuzzInput(start, count))
    let a = Doc(clientID: 1000)
    let onBase = gen.input.bool()
    var sent: [[UInt8]] = []
    a.observeUpdates { sent.append($0) }
    if onBase { _ = try? a.applyUpdate(base) }
    // CAIRN_FUZZ_DUMP=DIR: what A received, as plain updates (see Dump).
    let dump = Dump(onBase: onBase)
    let rounds = gen.input.int(1...5)
    for round in 0..<rounds {
        let update = gen.update(for: a)
        dump.add("remote", update)
        if YDocChecks.apply(a, update, "update \(round)") { /* observed through sent */ }
        let local = sent.count
        // Local edits on roots of their own kind.
        switch gen.input.int(0...5) {
        case 0:
            a.transact { txn in a.map("lm").set(gen.input.pick(["a", "b", ""]), .value(.number(Double(round))), txn) }
        case 1:
            a.transact { txn in
                let text = a.text("lt")
                text.insert(gen.input.int(0...text.count), gen.input.pick(["x", "😀", "ab"]), txn)
            }
        case 2:
            a.transact { txn in
                let text = a.text("lt")
                guard text.count > 0 else { return }
                let at = gen.input.int(0...(text.count - 1))
                text.delete(at, gen.input.int(1...(text.count - at)), txn)
            }
        case 3:
            a.transact { txn in
                let array = a.array("la")
                try? array.insert(gen.input.int(0...array.count), [.value(.string("v"))], txn)
            }
        case 4:
            a.transact { txn in a.map("lm").delete(gen.input.pick(["a", "b", ""]), txn) }
        default: break
        }
        for update in sent[local...] { dump.add("local", update) }
    }
    dump.write()
    _ = a.text("lt").string
    _ = a.map("lm").toJSON()
    _ = a.array("la").toJSON()
    YDocChecks.roundTrips(a, "replica A")

    // B: the same updates (A's outgoing ones, which include what A integrated) in reverse order.
    let b = Doc(clientID: 2000)
    if onBase { _ = try? b.applyUpdate(base) }
    for update in sent.reversed() { _ = try? b.applyUpdate(update) }
    // What A integrated (not its pending structs: see finding 2 in Fuzz/README.md).
    if let state = try? a.encodeStateAsUpdate() { _ = try? b.applyUpdate(state) }
    require(b.stateVector == a.stateVector, "replicas diverge: A \(a.stateVector), B \(b.stateVector)")
    require(b.contentJSON() == a.contentJSON(), "replicas diverge in content with state vector \(a.stateVector)")
    YDocChecks.roundTrips(b, "replica B")
    return 0
}

// SwiftPM's entry for this executable; see FuzzSupport/Driver.swift.
@_cdecl("fuzz_ydoc_structured_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzYDocStructured)
}
