import TestSupport
import Testing

@testable import Encoding

/// Varints are read a word at a time when eight bytes are left, a byte at a
/// time otherwise; both must give the same value, the same length, and the
/// same error for every input.
@Suite struct VarintTests {
    enum Outcome: Equatable {
        case value(Int64, next: Int)
        case failure(String)
    }

    static func outcome(_ read: (UnsafeRawBufferPointer, inout Int) throws(ByteDecodingError) -> Int64,
                        _ bytes: [UInt8], at start: Int) -> Outcome {
        bytes.withUnsafeBytes { raw in
            var position = start
            do throws(ByteDecodingError) {
                let value = try read(raw, &position)
                return .value(value, next: position)
            } catch {
                return .failure(error.description)
            }
        }
    }

    /// Inputs that matter: every length of varint up to past the limit, with
    /// each kind of byte after it, at every offset near the end.
    static func inputs(seed: UInt64) -> [[UInt8]] {
        var rng = SplitMix64(seed: seed)
        var inputs: [[UInt8]] = []
        for _ in 0..<4_000 {
            var bytes: [UInt8] = (0..<Int(rng.next() % 4)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            switch rng.next() % 3 {
            case 0:  // a well-formed varint of a random size
                let bits = rng.next() % 65
                let value = bits == 0 ? 0 : rng.next() >> (64 - bits)
                if rng.next() % 2 == 0 {
                    Varint.write(value) { bytes.append($0) }
                } else {
                    Varint.write(rng.next() % 2 == 0 ? Int64(bitPattern: value) : Int64(truncatingIfNeeded: value >> 1)) { bytes.append($0) }
                }
            case 1:  // a run of continuation bytes, then an end
                for _ in 0..<Int(rng.next() % 12) { bytes.append(0x80 | UInt8(truncatingIfNeeded: rng.next())) }
                bytes.append(UInt8(truncatingIfNeeded: rng.next()) & 0x7F)
            default:  // noise
                break
            }
            for _ in 0..<Int(rng.next() % 10) { bytes.append(UInt8(truncatingIfNeeded: rng.next())) }
            inputs.append(bytes)
        }
        return inputs
    }

    @Test(arguments: [UInt64(3), 29])
    func wordAtATimeReadsAsByteAtATime(seed: UInt64) {
        var fastPaths = 0
        for bytes in Self.inputs(seed: seed) {
            for start in 0...min(bytes.count, 4) {
                let unsigned = Self.outcome({ (b, p) throws(ByteDecodingError) in Int64(try Varint.readUInt(b, at: &p)) }, bytes, at: start)
                let unsignedRef = Self.outcome({ (b, p) throws(ByteDecodingError) in Int64(try Varint.readUIntBytewise(b, at: &p)) }, bytes, at: start)
                #expect(unsigned == unsignedRef, "unsigned \(bytes) from \(start)")
                let signed = Self.outcome({ (b, p) throws(ByteDecodingError) in try Varint.readInt(b, at: &p) }, bytes, at: start)
                let signedRef = Self.outcome({ (b, p) throws(ByteDecodingError) in try Varint.readIntBytewise(b, at: &p) }, bytes, at: start)
                #expect(signed == signedRef, "signed \(bytes) from \(start)")
                let wide = Self.outcome({ (b, p) throws(ByteDecodingError) in Int64(bitPattern: try Varint.readUInt64(b, at: &p)) }, bytes, at: start)
                let wideRef = Self.outcome({ (b, p) throws(ByteDecodingError) in Int64(bitPattern: try Varint.readUInt64Bytewise(b, at: &p)) }, bytes, at: start)
                #expect(wide == wideRef, "unsigned 64 \(bytes) from \(start)")
                let wideSigned = Self.outcome({ (b, p) throws(ByteDecodingError) in try Varint.readInt64(b, at: &p) }, bytes, at: start)
                let wideSignedRef = Self.outcome({ (b, p) throws(ByteDecodingError) in try Varint.readInt64Bytewise(b, at: &p) }, bytes, at: start)
                #expect(wideSigned == wideSignedRef, "signed 64 \(bytes) from \(start)")
                // Where lib0's reader reads a value, the wide one reads the same.
                if case .value = signed { #expect(wideSigned == signed, "\(bytes) from \(start)") }
                if case .value = unsigned { #expect(wide == unsigned, "\(bytes) from \(start)") }
                if bytes.count - start >= 8 { fastPaths += 1 }
            }
        }
        #expect(fastPaths > 5_000)  // the word path was taken, not only the fallback
    }

    @Test func timestampsRoundTripThroughBothPaths() throws {
        for micros: Int64 in [0, 1, 63, 64, -64, 1_700_000_000_000_000, -1_700_000_000_000_000, (1 << 53) - 1, -((1 << 53) - 1)] {
            var bytes: [UInt8] = []
            Varint.write(micros) { bytes.append($0) }
            let short = bytes
            bytes += [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]
            for input in [short, bytes] {
                let (value, position) = try input.withUnsafeBytes { raw in
                    var reader = BorrowedReader(raw)
                    return (try reader.readVarInt(), reader.position)
                }
                #expect(value == micros)
                #expect(position == short.count)
            }
        }
    }
}

/// Cairn's own records (events, dataclip headers, projection records) are
/// written with the full-width writers, so their readers must read every
/// 64-bit value back: issue #17, one event with a nanosecond-style timestamp
/// (2^60) made every later read of the log fail.
@Suite struct FullWidthVarintTests {
    static let signed: [Int64] = [
        .min, .min + 1, -(1 << 62), -(1 << 53) - 1, -(1 << 53), -((1 << 53) - 1), -64, -1, 0, 1, 63, 64,
        (1 << 53) - 1, 1 << 53, (1 << 53) + 1, 1_152_921_504_606_846_976, 1 << 62, .max - 1, .max,
    ]
    static let unsigned: [UInt64] = [0, 127, 128, (1 << 53) - 1, 1 << 53, (1 << 53) + 1, 1 << 56, 1 << 63, .max - 1, .max]

    /// The bytes of `value`, alone and followed by eight bytes of noise (so
    /// both the word-at-a-time and the byte-at-a-time paths read it).
    static func inputs(_ write: (inout [UInt8]) -> Void) -> (short: [UInt8], padded: [UInt8]) {
        var bytes: [UInt8] = []
        write(&bytes)
        return (bytes, bytes + [0xFF, 0x80, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
    }

    /// Every reader of Cairn's records: the word path and the byte path of
    /// `Varint`, `BorrowedReader` (events and projection records, in place)
    /// and `ByteReader`'s 64-bit reads (dataclip headers), with and without
    /// a presence byte.
    @Test func signedValuesRoundTripThroughEveryRecordReader() throws {
        for value in Self.signed {
            let (short, padded) = Self.inputs { bytes in Varint.write(value) { bytes.append($0) } }
            for input in [short, padded] {
                let (borrowed, position) = try input.withUnsafeBytes { raw in
                    var reader = BorrowedReader(raw)
                    return (try reader.readVarInt(), reader.position)
                }
                #expect(borrowed == value, "\(value)")
                #expect(position == short.count, "\(value)")
                var owned = ByteReader(input)
                #expect(try owned.readVarInt64() == value, "\(value)")
                #expect(owned.position == short.count, "\(value)")
                let expected = VarintTests.Outcome.value(value, next: short.count)
                #expect(VarintTests.outcome({ (b, p) throws(ByteDecodingError) in try Varint.readInt64(b, at: &p) }, input, at: 0) == expected)
                #expect(VarintTests.outcome({ (b, p) throws(ByteDecodingError) in try Varint.readInt64Bytewise(b, at: &p) }, input, at: 0) == expected)
            }
            // With a presence byte, as records write optional integers.
            var record = ByteWriter()
            record.writeOptional(value)
            let optional = try record.bytes.withUnsafeBytes { raw in
                var reader = BorrowedReader(raw)
                return try reader.readOptionalInt()
            }
            #expect(optional == value, "\(value)")
            var owned = ByteReader(record.bytes)
            #expect(try owned.readOptionalInt() == value, "\(value)")
            // And through the raw writer the projections use.
            var raw = [UInt8](repeating: 0, count: RawByteWriter.maxVarIntCount)
            let written = raw.withUnsafeMutableBytes { buffer in
                var w = RawByteWriter(buffer.baseAddress!)
                w.varInt(value)
                return w.written
            }
            #expect(Array(raw.prefix(written)) == short, "\(value)")
        }
    }

    @Test func unsignedValuesRoundTripThroughEveryRecordReader() throws {
        for value in Self.unsigned {
            let (short, padded) = Self.inputs { bytes in Varint.write(value) { bytes.append($0) } }
            #expect(short.count <= RawByteWriter.maxVarIntCount)
            for input in [short, padded] {
                let (borrowed, position) = try input.withUnsafeBytes { raw in
                    var reader = BorrowedReader(raw)
                    return (try reader.readVarUInt(), reader.position)
                }
                #expect(borrowed == value && position == short.count, "\(value)")
                var owned = ByteReader(input)
                #expect(try owned.readVarUInt64() == value && owned.position == short.count, "\(value)")
                let expected = VarintTests.Outcome.value(Int64(bitPattern: value), next: short.count)
                #expect(VarintTests.outcome({ (b, p) throws(ByteDecodingError) in Int64(bitPattern: try Varint.readUInt64(b, at: &p)) }, input, at: 0) == expected)
                #expect(VarintTests.outcome({ (b, p) throws(ByteDecodingError) in Int64(bitPattern: try Varint.readUInt64Bytewise(b, at: &p)) }, input, at: 0) == expected)
            }
        }
    }

    /// lib0's readers, the ones Yjs updates and `readAny` go through, keep
    /// lib0's 2^53-1 (YDoc's clock arithmetic relies on it).
    @Test func lib0ReadersKeepTheirLimit() throws {
        for value: Int64 in [(1 << 53) - 1, -((1 << 53) - 1)] {
            var w = ByteWriter()
            w.writeVarInt(value)
            var r = ByteReader(w.bytes)
            #expect(try r.readVarInt() == value)
        }
        for value: Int64 in [1 << 53, -(1 << 53), .max, .min] {
            var w = ByteWriter()
            w.writeVarInt(value)
            var r = ByteReader(w.bytes)
            #expect(throws: ByteDecodingError.integerOverflow(offset: 0)) { try r.readVarInt() }
        }
        for value: UInt64 in [1 << 53, .max] {
            var w = ByteWriter()
            w.writeVarUInt(value)
            var r = ByteReader(w.bytes)
            #expect(throws: ByteDecodingError.integerOverflow(offset: 0)) { try r.readVarUInt() }
        }
    }

    /// Past 64 bits, or longer than ten bytes: refused, never wrapped.
    @Test func widerThanSixtyFourBitsIsRefused() throws {
        let unsigned: [[UInt8]] = [
            [UInt8](repeating: 0xFF, count: 9) + [0x02],  // bit 64
            [UInt8](repeating: 0x80, count: 10) + [0x00],  // eleven bytes
            [UInt8](repeating: 0xFF, count: 12),
        ]
        let signed: [[UInt8]] = [
            [0x80] + [UInt8](repeating: 0x80, count: 8) + [0x02],  // 2^63: past Int64.max when positive
            [0xC1] + [UInt8](repeating: 0x80, count: 8) + [0x02],  // -(2^63 + 1)
            [0x80] + [UInt8](repeating: 0x80, count: 8) + [0x04],  // bit 64
            [UInt8](repeating: 0x80, count: 10) + [0x00],
        ]
        for bytes in unsigned {
            for padding in [[], [UInt8](repeating: 0, count: 8)] {
                var r = ByteReader(bytes + padding)
                #expect(throws: ByteDecodingError.integerTooWide(offset: 0)) { try r.readVarUInt64() }
                #expect(throws: ByteDecodingError.integerTooWide(offset: 0)) {
                    try (bytes + padding).withUnsafeBytes { raw in
                        var b = BorrowedReader(raw)
                        _ = try b.readVarUInt()
                    }
                }
            }
        }
        for bytes in signed {
            var r = ByteReader(bytes)
            #expect(throws: ByteDecodingError.integerTooWide(offset: 0)) { try r.readVarInt64() }
        }
        // 2^63 - 1 and -2^63 are the ends of Int64's range: ten bytes, read.
        var max = ByteReader([0xBF] + [UInt8](repeating: 0xFF, count: 8) + [0x01])
        #expect(try max.readVarInt64() == .max)
        var min = ByteReader([0xC0] + [UInt8](repeating: 0x80, count: 8) + [0x02])
        #expect(try min.readVarInt64() == .min)
    }
}
