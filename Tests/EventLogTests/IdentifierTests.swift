import JSON
import Testing
import TestSupport

@testable import EventLog

/// Session 22's reviews: stores key ids by bytes, Swift's dictionaries by
/// canonical equivalence, so "é" as U+00E9 and as "e" + U+0301 were two
/// runs (or documents) to the log and one to a cache or the document hub's
/// rooms. Ids must be ASCII, where the two agree; requiring NFC did not
/// do (Foundation's NFC on Linux is not the one Swift's equality uses).
@Suite struct IdentifierTests {
    static let composed = "caf\u{e9}", decomposed = "cafe\u{301}"

    /// Pairs Swift calls equal whose bytes differ: each would be one id to a
    /// dictionary and two to the store.
    static let equivalentPairs: [(String, String)] = [
        (composed, decomposed),
        ("K", "\u{212A}"),  // KELVIN SIGN
        ("\u{AC01}", "\u{AC00}\u{11A8}"),  // a Hangul syllable, and one with its final jamo
    ]

    @Test func ofTwoSpellingsOfOneTextAtMostOneIsAnId() {
        for (a, b) in Self.equivalentPairs {
            #expect(a == b && !a.utf8.elementsEqual(b.utf8))
            let bothPass = Identifier.problem(with: a) == nil && Identifier.problem(with: b) == nil
            #expect(!bothPass, "\(a.unicodeScalars.map(\.value)) and \(b.unicodeScalars.map(\.value)) both pass")
        }
        #expect(Identifier.problem(with: "7b1c2b4e-0c2d-4f7a-9a51-1d2f3e4a5b60") == nil)
        #expect(Identifier.problem(with: "run-1") == nil)
        #expect(Identifier.problem(with: Self.composed)?.contains("must be ASCII") == true)
    }

    @Test func aWorkerEventNamingANonASCIIRunIsRefused() throws {
        var name: String?
        for run in [Self.composed, Self.decomposed] {
            let line = Array(#"{"event":"run:created","id":"22222222-2222-4222-8222-222222222223","payload":{"run_id":"\#(run)","workflow_id":"w"}}"#.utf8)
            #expect(throws: EventLogError.self) { try WorkerProtocol.decodeLine(line, name: &name) }
        }
        let line = Array(#"{"event":"run:created","id":"22222222-2222-4222-8222-222222222223","payload":{"run_id":"cafe","workflow_id":"w"}}"#.utf8)
        #expect(throws: Never.self) { try WorkerProtocol.decodeLine(line, name: &name) }
    }
}
