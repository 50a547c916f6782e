import TestSupport
import Testing

@testable import Encoding

/// `BorrowedReader.readSlice` checks short ASCII ids on a fast path and
/// everything else on the general one: together they must accept exactly
/// what `ByteReader.readVarString` accepts, and read the same bytes.
@Suite struct BorrowedReaderTests {
    static func stringField(_ rng: inout SplitMix64) -> [UInt8] {
        let length = Int(rng.next() % 5 == 0 ? rng.next() % 300 : rng.next() % 60)
        var body: [UInt8] = (0..<length).map { _ in UInt8(ascii: "a") + UInt8(rng.next() % 26) }
        switch rng.next() % 4 {
        case 0 where length > 0: body[Int(rng.next() % UInt64(length))] = 0x80 | UInt8(truncatingIfNeeded: rng.next())  // likely invalid
        case 1: body += Array("é€😀".utf8)  // valid, not ASCII
        default: break
        }
        var field: [UInt8] = []
        Varint.write(UInt64(body.count)) { field.append($0) }
        field += body
        if rng.next() % 6 == 0 { field.removeLast(Int(rng.next() % UInt64(field.count + 1))) }  // truncated
        return field
    }

    @Test(arguments: [UInt64(5), 77])
    func readSliceAcceptsWhatReadVarStringAccepts(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var accepted = 0, refused = 0
        for _ in 0..<5_000 {
            let bytes = Self.stringField(&rng) + (0..<Int(rng.next() % 4)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            var owned = ByteReader(bytes)
            let expected = try? owned.readVarString()
            let got: (bytes: [UInt8], position: Int)? = bytes.withUnsafeBytes { raw in
                var borrowed = BorrowedReader(raw)
                guard let slice = try? borrowed.readSlice() else { return nil }
                return (Array(slice.buffer), borrowed.position)
            }
            #expect(got?.bytes == expected.map { Array($0.utf8) }, "\(bytes)")
            if let got {
                #expect(got.position == owned.position, "\(bytes)")
                accepted += 1
            } else {
                refused += 1
            }
        }
        #expect(accepted > 1_000 && refused > 500)
    }

    @Test func isASCIISeesAHighBitAnywhere() {
        for count in 0...40 {
            let ascii = [UInt8](repeating: 0x41, count: count)
            ascii.withUnsafeBytes { #expect(ByteReader.isASCII($0), "all ASCII, \(count) bytes") }
            for position in 0..<count {
                var bytes = ascii
                bytes[position] = 0xC3
                bytes.withUnsafeBytes { #expect(!ByteReader.isASCII($0), "high bit at \(position) of \(count)") }
            }
        }
    }
}
