// Yjs update v1 bytes -> Doc.applyUpdate (what `cairn doc apply`,
// `cairn ydoc merge` and the sync socket's update messages take in).
//
// Each input is applied to an empty document and to one holding
// fixtures/ydoc/base.update (a workflow document made by pycrdt), so struct
// references into held items (origins, parents) can resolve. The input is
// also cut at each 0xFF 0xFF 0xFF into updates applied one after the other,
// which reaches pending structs and deletes (and replays what the structured
// targets dump with CAIRN_FUZZ_DUMP).
//
// Properties: a refused update changes nothing (the state vector stays);
// `checkUpdate` refuses exactly what `applyUpdate` refuses; applying an
// accepted update again changes nothing; the result round-trips
// (`YDocChecks.roundTrips`).
import FuzzSupport
import YDoc

let base = Fixtures.bytes("ydoc/base.update")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzYDocUpdate(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = [UInt8](UnsafeRawBufferPointer(start: start, count: count))
    // Cut at every FF FF FF (at most 16 updates).
    var parts: [[UInt8]] = []
    var from = 0, i = 0
    while i + 2 < count && parts.count < 15 {
        if bytes[i] == 0xFF && bytes[i + 1] == 0xFF && bytes[i + 2] == 0xFF {
            parts.append(Array(bytes[from..<i]))
            i += 3
            from = i
        } else {
            i += 1
        }
    }
    parts.append(Array(bytes[from...]))

    let empty = Doc(clientID: 1)
    for part in parts { YDocChecks.apply(empty, part, "on an empty document") }
    YDocChecks.roundTrips(empty, "on an empty document")

    let held = Doc(clientID: 1)
    do { try held.applyUpdate(base) } catch { fatalError("base.update refused: \(error)") }
    for part in parts { YDocChecks.apply(held, part, "on base.update") }
    YDocChecks.roundTrips(held, "on base.update")
    return 0
}

// SwiftPM's entry for this executable; see FuzzSupport/Driver.swift.
@_cdecl("fuzz_ydoc_update_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzYDocUpdate)
}
