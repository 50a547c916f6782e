// Stored event bytes (the `events` database's values) -> EventCodec.
//
// A data folder is outside input too: written by an older or newer cairn, a
// torn copy, a disk that flipped a bit. Reading it must throw
// `EventDecodingError`, never trap or read out of bounds. Both readers are
// driven: the replay's in-place `EventCodec.view` (with the header-only
// `kind(of:)`), and the whole `decode`, with and without the replay's
// `StringInterner` (one kept across inputs, as a replay keeps one across events).
//
// Properties, for every input that decodes:
// - `view` reads it too, with the same kind, stream version, time and run;
// - decoding through the interner gives the same event;
// - the event encodes to bytes that decode to it again (the writer's promise,
//   asserted only in debug builds by `EventCodec.encode`).
import Encoding
import EventLog
import FuzzSupport

nonisolated(unsafe) let interner = StringInterner(capacity: 256)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEventCodec(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    // From the fuzzer's own buffer, so ASan sees any read past its end.
    let raw = UnsafeRawBufferPointer(start: start, count: count)
    let sequence: UInt64 = 42
    let kind = EventCodec.kind(of: raw)
    let view = try? EventCodec.view(raw, sequence: sequence)
    let decoded = try? EventCodec.decode(raw, sequence: sequence)
    let interned = try? EventCodec.decode(raw, sequence: sequence, interner: interner)
    require(interned == decoded, "decoding through the interner differs: \(String(describing: interned)) vs \(String(describing: decoded))")
    if let view {
        require(kind == view.kind, "kind(of:) says \(String(describing: kind)), view says \(view.kind)")
    }
    guard let decoded else { return 0 }
    guard let view else {
        require(false, "decode accepts what view refuses: \(decoded)")
        return 0
    }
    require(view.kind == decoded.event.kind, "view kind \(view.kind) vs decoded \(decoded.event.kind)")
    require(view.streamVersion == decoded.streamVersion, "view stream version differs")
    require(view.recordedAt == decoded.recordedAt, "view recorded-at differs")
    require(view.runId?.string == decoded.event.runId, "view run id \(String(describing: view.runId?.string)) vs \(String(describing: decoded.event.runId))")
    let again = EventCodec.encode(decoded)
    let redecoded = try? EventCodec.decode(again, sequence: sequence)
    require(redecoded == decoded, "the decoded event does not survive encode and decode: \(decoded)")
    return 0
}

// SwiftPM's entry for this executable; see FuzzSupport/Driver.swift.
@_cdecl("fuzz_event_codec_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzEventCodec)
}
