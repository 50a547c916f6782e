// JSON text -> JSONParser.parse (every body, line and document Cairn reads
// from outside goes through it first: request bodies, ingest lines, workflow
// files, dataclip bodies, legacy JSON content in Yjs updates).
//
// Properties, when the text parses: the writer's output parses back to an
// equal value, with keys as given and sorted; the String entry point agrees
// with the bytes one on valid UTF-8.
import FuzzSupport
import JSON

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let raw = UnsafeRawBufferPointer(start: start, count: count)
    let parsed = try? JSONParser.parse(raw)
    if let text = String(validating: raw, as: UTF8.self) {
        let fromText = try? JSONParser.parse(text)
        require(fromText == parsed, "parse(String) and parse(bytes) differ on valid UTF-8")
    }
    guard let value = parsed else { return 0 }
    let written = value.serialized()
    let again = try? JSONParser.parse(written)
    require(again == value, "the written value does not parse back equal: \(String(decoding: written, as: UTF8.self))")
    let sorted = value.serialized(sortedKeys: true)
    require((try? JSONParser.parse(sorted)) != nil, "the sorted-keys form does not parse: \(String(decoding: sorted, as: UTF8.self))")
    return 0
}

// SwiftPM's entry for this executable; see FuzzSupport/Driver.swift.
@_cdecl("fuzz_json_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzJSON)
}
