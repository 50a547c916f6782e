import Encoding
import TestSupport
import Testing

/// `SliceTable` against a `Dictionary` doing the same: seeded random
/// inserts, updates and removals over few keys (long probe runs, removals
/// that move keys back, runs that wrap round the table).
@Suite struct SliceTableTests {
    @Test(arguments: [UInt64(1), 2, 3])
    func behavesLikeADictionary(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        // Keys live in one buffer that outlives the table, as a batch's events do.
        let ids = (0..<300).map { Array("run-\($0 * 7_919)".utf8) }
        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: ids.map(\.count).reduce(0, +), alignment: 1)
        defer { memory.deallocate() }
        var slices: [ByteSlice] = []
        var offset = 0
        for id in ids {
            let target = UnsafeMutableRawBufferPointer(rebasing: memory[offset..<offset + id.count])
            target.copyBytes(from: id)
            slices.append(ByteSlice(UnsafeRawBufferPointer(target)))
            offset += id.count
        }
        var table = SliceTable<Int>()
        var model: [[UInt8]: Int] = [:]
        for step in 0..<20_000 {
            let k = Int(rng.next() % UInt64(ids.count))
            let key = slices[k]
            switch rng.next() % 3 {
            case 0, 1:
                table[key] = step
                model[ids[k]] = step
            default:
                table[key] = nil
                model[ids[k]] = nil
            }
            if step % 1_000 == 0 || step == 19_999 {
                #expect(table.count == model.count)
                for (i, id) in ids.enumerated() {
                    #expect(table[slices[i]] == model[id], "seed \(seed), step \(step)")
                    // A slice of other memory holding the same bytes finds the same entry.
                    #expect(id.withUnsafeBytes { table[ByteSlice($0)] } == model[id])
                }
                var seen = 0
                table.forEach { key, value in
                    seen += 1
                    #expect(model[key.bytes] == value)
                }
                #expect(seen == model.count)
            }
        }
        table.removeAll()
        #expect(table.isEmpty && table[slices[0]] == nil)
    }

    @Test func equalBytesAnywhereAreTheSameKey() {
        var table = SliceTable<String>()
        let a = Array("same-id".utf8)
        let b = Array("same-id".utf8)
        a.withUnsafeBytes { ra in
            b.withUnsafeBytes { rb in
                table[ByteSlice(ra)] = "first"
                #expect(table[ByteSlice(rb)] == "first")
                table[ByteSlice(rb)] = "second"
                #expect(table.count == 1 && table[ByteSlice(ra)] == "second")
                #expect(table[ByteSlice(UnsafeRawBufferPointer(rebasing: ra[0..<4]))] == nil)
            }
        }
    }
}
