// Records read back from a data folder -> their decoders. LMDB hands back
// what was written, but a folder can hold what an older or newer cairn wrote,
// a torn copy or a flipped bit: a damaged record must be a typed error, never
// a trap or a read out of bounds (docs/reliability.md). The event log's own
// records have `fuzz-event-codec`; these are the others.
//
// Byte 0 picks the record (mod 6); the rest is its bytes:
// 0. a `dataclips` value (`Dataclip.decode(id:_:)`, through `StoredRecordCoding`);
// 1. a `dataclip_records` value: id, then the same (`Dataclip.decodeRecord`);
// 2. a `snapshots` value: content hash, then a `workflow:published` payload
//    (`StoredSnapshot.decode`);
// 3. a `tokens` value (`StoredToken.decode`);
// 4. a runs projection record (`RunRecordCoding`: `RunRecord.draft`, and the
//    raw-pointer writer `RunRecord.encode` into the room `RunRecord.bound` gives);
// 5. a stored document update, replayed without the limits new updates get
//    (`Doc.applyStoredUpdate`).
//
// Properties: whatever decodes re-encodes to bytes that decode to the same
// value (the run record: written within its bound); a stored update leaves
// a sound struct graph whose state encodes and loads again.
import FuzzSupport
@_spi(Fuzz) import EventLog
@_spi(Fuzz) import Projections
@_spi(Fuzz) import YDoc

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzStoredRecords(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    guard count > 0 else { return 0 }
    let all = [UInt8](UnsafeRawBufferPointer(start: start, count: count))
    let bytes = Array(all.dropFirst())
    switch all[0] % 6 {
    case 0:
        guard let clip = try? StoredRecordCoding.dataclip(id: "d", bytes) else { return 0 }
        let again = try? StoredRecordCoding.dataclip(id: "d", StoredRecordCoding.encoded(clip))
        require(again == clip, "a dataclip does not read back as written: \(clip)")
    case 1:
        guard let clip = try? StoredRecordCoding.dataclipRecord(bytes, sequence: 7) else { return 0 }
        let again = try? StoredRecordCoding.dataclipRecord(StoredRecordCoding.record(clip), sequence: 7)
        require(again == clip, "a dataclip record does not read back as written: \(clip)")
    case 2:
        guard let snapshot = try? StoredRecordCoding.snapshot(bytes) else { return 0 }
        let again = try? StoredRecordCoding.snapshot(StoredRecordCoding.encoded(snapshot))
        require(again == snapshot, "a snapshot does not read back as written: version \(snapshot.lockVersion)")
    case 3:
        guard let token = try? StoredRecordCoding.token(bytes) else { return 0 }
        let again = try? StoredRecordCoding.token(StoredRecordCoding.encoded(token))
        require(again == token, "a token does not read back as written: \(token.id)")
    case 4:
        guard let run = try? RunRecordCoding.decode(bytes) else {
            // What the reader refuses, the writer's path refuses too.
            require((try? RunRecordCoding.reencode(bytes)) == nil, "the run record reader refused what draft read")
            return 0
        }
        let written: [UInt8]
        do { written = try RunRecordCoding.reencode(bytes) } catch {
            require(false, "the run record decodes but does not re-encode: \(error)")
            return 0
        }
        let again = try? RunRecordCoding.decode(written)
        require(again == run, "a run record does not read back as written: \(run.runId)")
    default:
        let doc = Doc(clientID: 1)
        guard (try? doc.applyStoredUpdateForFuzzing(bytes)) != nil else { return 0 }
        YDocChecks.sound(doc, "a stored update")
        _ = doc.contentJSON()
        guard let state = try? doc.encodeStateAsUpdate(includingPending: true) else {
            require(false, "a document loaded from a stored update does not encode")
            return 0
        }
        let copy = Doc(clientID: 2)
        require((try? copy.applyStoredUpdateForFuzzing(state)) != nil, "a document's own state does not load as a stored update")
        require(copy.stateVector == doc.stateVector, "a copy loaded from the state has state vector \(copy.stateVector), not \(doc.stateVector)")
    }
    return 0
}

// SwiftPM's entry for this executable; see FuzzSupport/Driver.swift.
@_cdecl("fuzz_stored_records_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzStoredRecords)
}
