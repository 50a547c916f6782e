import Foundation
import Testing

@testable import EventLog

/// Derived ids are part of the storage format: an event id derived from a
/// line's content is how a re-sent file is recognised as duplicates, and a
/// cron run's id is how two schedulers agree on one run. These tests pin
/// the hash and the derivation to answers computed elsewhere.
@Suite struct KnownAnswerTests {
    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    /// FIPS 180-4 examples (NIST CSRC "Example Algorithms", SHA-256): the
    /// empty message, "abc", the 448-bit and 896-bit messages, and one
    /// million 'a'.
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
    ])
    func sha256MatchesTheNISTExamples(_ message: String, _ digest: String) {
        #expect(Self.hex(SHA256.hash(Array(message.utf8))) == digest)
    }

    @Test func sha256OfOneMillionAs() {
        #expect(Self.hex(SHA256.hash([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)))
            == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Every length around the 55/56/64-byte padding boundaries: a
    /// one-block and a two-block message must differ from their neighbours
    /// (a padding slip maps neighbours onto one digest).
    @Test func paddingBoundariesGiveDistinctDigests() {
        let digests = (50...130).map { SHA256.hash([UInt8](repeating: 0x61, count: $0)) }
        #expect(Set(digests.map(Self.hex)).count == digests.count)
    }

    /// Computed independently with Python's hashlib and uuid (the
    /// derivation in `UUID.derived`: SHA-256 of "cairn" then each part as a
    /// 4-byte big-endian length and its UTF-8, first 16 bytes, version 8,
    /// RFC 9562 variant):
    ///
    ///     data = b"cairn" + b"".join(struct.pack(">I", len(p)) + p for p in parts)
    ///     b = bytearray(hashlib.sha256(data).digest()[:16])
    ///     b[6] = b[6] & 0x0F | 0x80; b[8] = b[8] & 0x3F | 0x80
    ///     str(uuid.UUID(bytes=bytes(b)))
    @Test(arguments: [
        (["content", "run:start", #"{"run_id":"r1"}"#], "14fbb15b-5ca0-8948-b80d-b2928b31c0de"),
        (["schedule:ticked", "1795500000000000"], "b831f13a-0843-8cf9-bd88-c6ea25d692fc"),
        (["cron-run", "c1000000-0000-4000-8000-000000000001", "1795500000000000"], "f5fe6fcb-7a45-8a07-913d-dd7af22e5bd5"),
        (["0a000000-0000-4000-8000-000000000001", "input"], "50c54413-d286-8cad-a91f-c166393660f5"),
        (["ab", "c"], "4c734aa2-1c59-82bd-a62f-7e469a811942"),
        (["a", "bc"], "5d20ef71-733a-8476-8d50-7abd8be8b51c"),
        (["é"], "1c13121d-fd75-8df1-94b3-bacd4a07408b"),
        ([], "4a9909a9-516d-82fd-8c72-9a45922398fb"),
    ])
    func derivedIdsArePinned(_ parts: [String], _ expected: String) {
        #expect(UUID.derived(parts).lowercasedString == expected)
        #expect(EventID(UUID.derived(parts)).description == expected)
    }

    /// The content-derived id of a worker line: what `ingest` records for a
    /// line without an `id` (docs/events.md), through the public path.
    @Test func aLineWithoutAnIdGetsItsPinnedId() throws {
        var name: String?
        let submission = try WorkerProtocol.decodeLine(Array(#"{"event":"run:start","payload":{"run_id":"r1"}}"#.utf8), name: &name)
        #expect(name == "run:start")
        #expect(submission.id.description == "14fbb15b-5ca0-8948-b80d-b2928b31c0de")
    }
}
