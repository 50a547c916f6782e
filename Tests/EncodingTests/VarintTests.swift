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
                let bits = rng.next() % 64
                let value = bits == 0 ? 0 : rng.next() >> (64 - bits)
                if rng.next() % 2 == 0 {
                    Varint.write(value) { bytes.append($0) }
                } else {
                    Varint.write(Int64(truncatingIfNeeded: value >> 1) * (rng.next() % 2 == 0 ? 1 : -1)) { bytes.append($0) }
                }
            case 1:  // a run of continuation bytes, then an end
                for _ in 0..<Int(rng.next() % 11) { bytes.append(0x80 | UInt8(truncatingIfNeeded: rng.next())) }
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
