import Foundation
import TestSupport
import Testing

@testable import Encoding

@Suite struct VarIntTests {
    static let unsignedBoundaries: [UInt64] = [
        0, 1, 127, 128, 255, 256, (1 << 14) - 1, 1 << 14, (1 << 21) - 1, 1 << 21, (1 << 28) - 1, 1 << 28,
        (1 << 35), (1 << 42), (1 << 49), (1 << 53) - 1,
    ]

    @Test(arguments: unsignedBoundaries)
    func varUIntRoundTrips(_ value: UInt64) throws {
        var writer = ByteWriter()
        writer.writeVarUInt(value)
        var reader = ByteReader(writer.bytes)
        #expect(try reader.readVarUInt() == value)
        #expect(reader.isAtEnd)
        // 7 bits a byte.
        #expect(writer.count == max(1, (64 - value.leadingZeroBitCount + 6) / 7))
    }

    static let signedBoundaries: [Int64] = unsignedBoundaries.map { Int64($0) } + unsignedBoundaries.map { -Int64($0) } + [-63, -64, 63, 64]

    @Test(arguments: signedBoundaries)
    func varIntRoundTrips(_ value: Int64) throws {
        var writer = ByteWriter()
        writer.writeVarInt(value)
        var reader = ByteReader(writer.bytes)
        #expect(try reader.readVarInt() == value)
        #expect(reader.isAtEnd)
    }

    /// Bytes as lib0's encoding.js writes them (hand-derived from its algorithm
    /// and cross-checked with the yrs output below).
    @Test func knownLib0Bytes() {
        func uint(_ v: UInt64) -> [UInt8] { var w = ByteWriter(); w.writeVarUInt(v); return w.bytes }
        func int(_ v: Int64) -> [UInt8] { var w = ByteWriter(); w.writeVarInt(v); return w.bytes }
        #expect(uint(0) == [0x00])
        #expect(uint(127) == [0x7F])
        #expect(uint(128) == [0x80, 0x01])
        #expect(uint(300) == [0xAC, 0x02])
        #expect(uint((1 << 53) - 1) == [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F])
        #expect(int(0) == [0x00])
        #expect(int(-1) == [0x41])
        #expect(int(63) == [0x3F])
        #expect(int(64) == [0x80, 0x01])
        #expect(int(-64) == [0xC0, 0x01])
        #expect(int(300) == [0xAC, 0x04])
        var w = ByteWriter()
        w.writeVarString("hi")
        #expect(w.bytes == [0x02, 0x68, 0x69])
    }

    @Test func overflowBeyond53BitsThrows() {
        var reader = ByteReader([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x10])
        #expect(throws: ByteDecodingError.integerOverflow(offset: 0)) { try reader.readVarUInt() }
        var endless = ByteReader([UInt8](repeating: 0xFF, count: 20))
        #expect(throws: ByteDecodingError.integerOverflow(offset: 0)) { try endless.readVarUInt() }
    }

    @Test func truncatedInputThrows() {
        var reader = ByteReader([0x80])
        #expect(throws: ByteDecodingError.self) { try reader.readVarUInt() }
        var signed = ByteReader([0xC0])
        #expect(throws: ByteDecodingError.self) { try signed.readVarInt() }
        var string = ByteReader([0x05, 0x61])
        #expect(throws: ByteDecodingError.lengthTooLarge(offset: 0, length: 5, available: 1)) {
            try string.readVarString()
        }
        var float = ByteReader([0x3F, 0x80])
        #expect(throws: ByteDecodingError.self) { try float.readFloat32() }
        var empty = ByteReader([])
        #expect(throws: ByteDecodingError.unexpectedEnd(offset: 0, needed: 1, available: 0)) {
            try empty.readUInt8()
        }
    }

    @Test func invalidUTF8Throws() {
        var reader = ByteReader([0x02, 0xC3, 0x28])
        #expect(throws: ByteDecodingError.invalidUTF8(offset: 0)) { try reader.readVarString() }
    }

    @Test func floatsAndBigIntsAreBigEndian() throws {
        var w = ByteWriter()
        w.writeFloat32(1.0)
        w.writeFloat64(2.5)
        w.writeBigInt64(-2)
        #expect(Array(w.bytes[0..<4]) == [0x3F, 0x80, 0x00, 0x00])
        #expect(Array(w.bytes[4..<12]) == [0x40, 0x04, 0, 0, 0, 0, 0, 0])
        #expect(Array(w.bytes[12..<20]) == [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE])
        var r = ByteReader(w.bytes)
        #expect(try r.readFloat32() == 1.0)
        #expect(try r.readFloat64() == 2.5)
        #expect(try r.readBigInt64() == -2)
    }
}

@Suite struct Lib0AnyTests {
    static func hex(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        var chars = Array(s)
        while chars.count >= 2 {
            out.append(UInt8(String(chars[0...1]), radix: 16)!)
            chars.removeFirst(2)
        }
        return out
    }

    /// Values as yrs 0.x wrote them (pycrdt 0.14.13, `Map` entries of an update):
    /// yrs writes every number as float32 when exact, else float64.
    @Test(arguments: [
        ("7c43960000", Lib0Any.number(300)),
        ("7cbfc00000", .number(-1.5)),
        ("77026869", .string("hi")),
        ("78", .bool(true)),
        ("7e", .null),
        ("75027c3f8000007c40200000", .array([.number(1), .number(2.5)])),
        ("760101787b7e37e43c8800759c", .object([("x", .number(1e300))])),
    ])
    func decodesYrsOutput(_ hexBytes: String, _ expected: Lib0Any) throws {
        var reader = ByteReader(Self.hex(hexBytes))
        #expect(try reader.readAny() == expected)
        #expect(reader.isAtEnd)
    }

    @Test func writesLikeLib0AndRoundTrips() throws {
        let value = Lib0Any.object([
            ("int", .number(300)), ("neg", .number(-7)), ("half", .number(0.5)), ("pi", .number(3.141592653589793)),
            ("big", .number(4_294_967_296)), ("s", .string("ünïcode")), ("t", .bool(true)), ("f", .bool(false)),
            ("n", .null), ("u", .undefined), ("b", .bytes([1, 2])), ("a", .array([.number(1), .string("x")])),
            ("bi", .bigInt(-5)),
        ])
        var w = ByteWriter()
        w.writeAny(value)
        var r = ByteReader(w.bytes)
        #expect(try r.readAny() == value)
        #expect(r.isAtEnd)

        // lib0 writes small integers as a varint (tag 125), not a float.
        var small = ByteWriter()
        small.writeAny(.number(300))
        #expect(small.bytes == [125, 0xAC, 0x04])
        var fraction = ByteWriter()
        fraction.writeAny(.number(0.5))
        #expect(fraction.bytes == [124, 0x3F, 0x00, 0x00, 0x00])
    }

    /// lib0 keeps -0: `writeAny(-0)` is the integer tag with the varint's sign
    /// bit set and nothing else (`7d 40`, from lib0 0.2.117), and reads back
    /// as -0. Written as plain 0, a document whose state held -0.0 (read from
    /// a float) reloaded with +0.0: fuzz, ydoc-structured crash-a4393288.
    @Test func negativeZeroKeepsItsSignAsLib0Does() throws {
        var w = ByteWriter()
        w.writeAny(.array([.number(-0.0), .number(0), .number(-0.5)]))
        #expect(w.bytes == [0x75, 0x03, 0x7d, 0x40, 0x7d, 0x00, 0x7c, 0xbf, 0x00, 0x00, 0x00])
        var r = ByteReader(w.bytes)
        guard case .array(let values) = try r.readAny(), case .number(let first) = values[0], case .number(let second) = values[1]
        else {
            Issue.record("not an array of numbers")
            return
        }
        #expect(first == 0 && first.sign == .minus)
        #expect(second == 0 && second.sign == .plus)
    }

    @Test func hostileInputThrowsInsteadOfTrapping() {
        // An array claiming a billion elements.
        var huge = ByteReader([117, 0x80, 0x94, 0xEB, 0xDC, 0x03])
        #expect(throws: ByteDecodingError.self) { try huge.readAny() }
        // Unknown tag.
        var unknown = ByteReader([0x10])
        #expect(throws: ByteDecodingError.unknownTag(offset: 0, tag: 0x10, what: "lib0 any")) { try unknown.readAny() }
        // Deep nesting.
        var deep = ByteReader(nest(300))
        #expect(throws: ByteDecodingError.self) { try deep.readAny() }
        // Random garbage never traps.
        var rng = SplitMix64(seed: 1)
        for _ in 0..<2000 {
            let bytes = (0..<Int(rng.next() % 24)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            var reader = ByteReader(bytes)
            _ = try? reader.readAny()
        }
    }

    /// Issue #17, defect 8: a count is a claim, not a size to allocate.
    /// Nested arrays and objects each claiming every byte left used to
    /// reserve room for that many values per level before reading one
    /// (200 levels of 4 MiB: about 19 GB of address space); a count
    /// larger than the bytes left fails at once.
    @Test(arguments: [Lib0Any.Tag.array, .object])
    func countsAreNotTrustedForCapacity(_ tag: Lib0Any.Tag) throws {
        var w = ByteWriter()
        w.writeUInt8(tag.rawValue)
        w.writeVarUInt(UInt64(1) << 40)
        var claim = ByteReader(w.bytes + [126])
        #expect(throws: ByteDecodingError.lengthTooLarge(offset: 1, length: 1 << 40, available: 1)) { try claim.readAny() }

        let levels = 200
        let filler = 4 << 20
        var nested = ByteWriter()
        for _ in 0..<levels {
            nested.writeUInt8(tag.rawValue)
            // No more than the bytes left: a claim `readLength` lets through.
            nested.writeVarUInt(UInt64(filler))
            if tag == .object { nested.writeVarString("") }
        }
        // Zero is no tag: the innermost value is refused after the claims were read.
        var reader = ByteReader(nested.bytes + [UInt8](repeating: 0, count: filler))
        let peakBefore = try peakAddressSpace()
        #expect(throws: ByteDecodingError.self) { try reader.readAny() }
        let grown = try peakAddressSpace() - peakBefore
        #expect(grown < 512 << 20, "reading reserved \(grown >> 20) MiB of address space")
    }

    /// The process's peak virtual memory (`VmPeak`), which counts memory
    /// reserved even if never touched.
    private func peakAddressSpace() throws -> Int {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmPeak:") })
        let kilobytes = try #require(Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? ""))
        return kilobytes << 10
    }

    private func nest(_ depth: Int) -> [UInt8] {
        // [[[[...]]]]: each level an array of one element.
        Array(repeating: [117, 1] as [UInt8], count: depth).flatMap { $0 } + [126]
    }
}

/// Session 22: convergence checks compare replicas' content as `Lib0Any`;
/// Swift's `String` equality would call "é" as U+00E9 and as "e" + U+0301
/// equal, where Yjs holds two different values (or keys).
@Suite struct Lib0AnyEqualityTests {
    @Test func stringsAndKeysCompareScalarForScalar() {
        let composed = "\u{e9}", decomposed = "e\u{301}"
        #expect(Lib0Any.string(composed) != .string(decomposed))
        #expect(Lib0Any.object([(composed, .null)]) != .object([(decomposed, .null)]))
        #expect(Lib0Any.object([("b", .number(1)), (composed, .null)]) == .object([(composed, .null), ("b", .number(1))]))
    }
}
