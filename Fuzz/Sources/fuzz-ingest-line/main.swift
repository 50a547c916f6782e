// One line of `cairn ingest` (a worker event as JSON) -> WorkerProtocol.decodeLine,
// what the ingest command runs on each line before anything touches the store
// (the HTTP worker routes run it too, on what they build from the body).
//
// Properties: decoding is deterministic (the same line gives the same event
// id, which is how a re-sent line without an id is found a duplicate); the
// event name reported for errors is the one the line gave.
import EventLog
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIngestLine(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let line = UnsafeRawBufferPointer(start: start, count: count)
    var name: String?
    guard let first = try? WorkerProtocol.decodeLine(line, name: &name) else { return 0 }
    require(name == first.command.eventName, "decoded \(first.command.eventName) from a line naming \(String(describing: name))")
    var again: String?
    let second = try? WorkerProtocol.decodeLine(line, name: &again)
    require(second?.id == first.id, "the same line decodes to two event ids")
    return 0
}

// SwiftPM's entry for this executable; see FuzzSupport/Driver.swift.
@_cdecl("fuzz_ingest_line_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzIngestLine)
}
