import JSON
import Testing
import TestSupport

@testable import EventLog

/// Session 22's review: stores key ids by bytes, Swift's dictionaries by
/// canonical equivalence, so "é" as U+00E9 and as "e" + U+0301 were two
/// runs (or documents) to the log and one to a cache or the document hub's
/// rooms. Ids are now refused unless in NFC, where the two agree.
@Suite struct IdentifierTests {
    static let composed = "caf\u{e9}", decomposed = "cafe\u{301}"

    @Test func anIdNotInNFCIsRefusedNamingWhy() {
        #expect(Identifier.problem(with: Self.composed) == nil)
        #expect(Identifier.problem(with: "7b1c2b4e-0c2d-4f7a-9a51-1d2f3e4a5b60") == nil)
        #expect(Identifier.problem(with: "\u{212B}") != nil)  // ANGSTROM SIGN: its NFC is U+00C5
        let problem = Identifier.problem(with: Self.decomposed)
        #expect(problem?.contains("normalization form C") == true, "\(problem ?? "nil")")
    }

    @Test func aWorkerEventNamingARunNotInNFCIsRefused() throws {
        let line = Array(#"{"event":"run:created","id":"22222222-2222-4222-8222-222222222223","payload":{"run_id":"\#(Self.decomposed)","workflow_id":"w"}}"#.utf8)
        var name: String?
        #expect(throws: EventLogError.self) { try WorkerProtocol.decodeLine(line, name: &name) }
        let composedLine = Array(#"{"event":"run:created","id":"22222222-2222-4222-8222-222222222223","payload":{"run_id":"\#(Self.composed)","workflow_id":"w"}}"#.utf8)
        #expect(throws: Never.self) { try WorkerProtocol.decodeLine(composedLine, name: &name) }
    }
}
