import Foundation
import Testing

@testable import EventLog

/// `UUID.random()` replaces Foundation's `UUID()` for event, run and
/// webhook ids: it must still be a version-4 UUID, with every other bit random.
@Suite struct RandomUUIDTests {
    @Test func versionAndVariantAreSetAndTheRestVaries() {
        let count = 4_000
        var ones = [Int](repeating: 0, count: 128)
        var seen = Set<UUID>()
        for _ in 0..<count {
            let id = UUID.random()
            seen.insert(id)
            let bytes = id.bytes
            #expect(bytes[6] >> 4 == 4, "version 4: \(id)")
            #expect(bytes[8] >> 6 == 0b10, "RFC 9562 variant: \(id)")
            // The text form is Foundation's, and parses back.
            #expect(UUID(uuidString: id.uuidString) == id)
            #expect(id.lowercasedString.count == 36)
            for bit in 0..<128 where bytes[bit / 8] & (0x80 >> (bit % 8)) != 0 { ones[bit] += 1 }
        }
        #expect(seen.count == count)
        // The two halves come from two draws, not one copied.
        #expect(seen.filter { Array($0.bytes[0..<6]) == Array($0.bytes[8..<14]) }.isEmpty)
        let fixed: Set<Int> = [48, 49, 50, 51, 64, 65]  // the version nibble and the variant's two bits
        for bit in 0..<128 where !fixed.contains(bit) {
            // A fair bit is set 2,000 times in 4,000, give or take 32 (one
            // standard deviation); 300 away is over nine of them.
            #expect(abs(ones[bit] - count / 2) < 300, "bit \(bit) was set \(ones[bit]) times in \(count)")
        }
    }
}
