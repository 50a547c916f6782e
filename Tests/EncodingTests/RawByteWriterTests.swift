import Encoding
import TestSupport
import Testing

/// `RawByteWriter` writes what `ByteWriter` writes, field for field, within
/// the bound it gives.
@Suite struct RawByteWriterTests {
    @Test(arguments: [UInt64(1), 2, 3])
    func writesWhatByteWriterWrites(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let strings = ["", "a", "run-42", String(repeating: "é", count: 70), "ω-\(seed)"]
        for _ in 0..<500 {
            var reference = ByteWriter()
            var bound = 0
            var steps: [(inout RawByteWriter) -> Void] = []
            for _ in 0..<Int(rng.next() % 12) {
                switch rng.next() % 5 {
                case 0:
                    let v = rng.next() >> (rng.next() % 64)
                    reference.writeVarUInt(v)
                    bound += RawByteWriter.maxVarIntCount
                    steps.append { $0.varUInt(v) }
                case 1:
                    let v = Int64(bitPattern: rng.next() >> 11) * (rng.next() % 2 == 0 ? 1 : -1) >> (rng.next() % 52)
                    reference.writeVarInt(v)
                    bound += RawByteWriter.maxVarIntCount
                    steps.append { $0.varInt(v) }
                case 2:
                    let s = strings[Int(rng.next() % UInt64(strings.count))]
                    reference.writeVarString(s)
                    bound += RawByteWriter.bound(nil) + s.utf8.count
                    steps.append { w in Array(s.utf8).withUnsafeBytes { w.varString(ByteSlice($0)) } }
                case 3:
                    let s: String? = rng.next() % 2 == 0 ? nil : strings[Int(rng.next() % UInt64(strings.count))]
                    reference.writeOptional(s)
                    bound += RawByteWriter.bound(nil) + (s?.utf8.count ?? 0)
                    steps.append { w in
                        if let s { Array(s.utf8).withUnsafeBytes { w.optional(ByteSlice($0)) } } else { w.optional(nil as ByteSlice?) }
                    }
                default:
                    let v: Int64? = rng.next() % 2 == 0 ? nil : Int64(rng.next() % 1_000_000) - 500_000
                    reference.writeOptional(v)
                    bound += 1 + RawByteWriter.maxVarIntCount
                    steps.append { $0.optional(v) }
                }
            }
            let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bound, 1), alignment: 1)
            defer { memory.deallocate() }
            var writer = RawByteWriter(memory.baseAddress!)
            for step in steps { step(&writer) }
            #expect(writer.written <= bound)
            #expect(Array(memory.prefix(writer.written)) == reference.bytes)
        }
    }
}
