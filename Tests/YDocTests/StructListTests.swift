import TestSupport
import Testing

@testable import YDoc

/// `StructList` against a plain array doing the same edits: inserts and
/// removals in the middle (where the gap goes), appends at the end, and
/// overwrites, in a seeded random mix.
@Suite struct StructListTests {
    @Test(arguments: [1, 2, 3])
    func behavesLikeAnArray(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var list = StructList()
        var model: [AbstractStruct] = []
        var clock: UInt64 = 0
        func make() -> AbstractStruct {
            clock += 1
            return GCStruct(id: ID(client: 1, clock: clock), length: 1)
        }
        // A cursor that wanders slowly, like a person editing, and sometimes jumps.
        var cursor = 0
        for step in 0..<20_000 {
            if rng.next() % 16 == 0 { cursor = Int(rng.next() % UInt64(model.count + 1)) }
            cursor = min(max(0, cursor + Int(rng.next() % 5) - 2), model.count)
            switch rng.next() % 6 {
            case 0, 1:
                let s = make()
                list.insert(s, at: cursor)
                model.insert(s, at: cursor)
            case 2:
                let s = make()
                list.append(s)
                model.append(s)
            case 3, 4:
                guard !model.isEmpty else { continue }
                let at = min(cursor, model.count - 1)
                #expect(list.remove(at: at) === model.remove(at: at))
            default:
                guard !model.isEmpty else { continue }
                let at = min(cursor, model.count - 1)
                let s = make()
                list[at] = s
                model[at] = s
            }
            if step % 997 == 0 || step == 19_999 {
                #expect(list.count == model.count)
                #expect(zip(list, model).allSatisfy { $0 === $1 })
            }
        }
        // Emptied from the back, then from the front.
        while model.count > 1 {
            #expect(list.remove(at: model.count - 1) === model.removeLast())
            if !model.isEmpty { #expect(list.remove(at: 0) === model.removeFirst()) }
        }
        #expect(list.count == model.count)
    }

    /// Lookups by clock against a linear scan, while edits move the gap
    /// around and the remembered position goes stale.
    @Test func findsTheStructContainingAClock() {
        var rng = SplitMix64(seed: 11)
        var list = StructList()
        var model: [AbstractStruct] = []
        var clock: UInt64 = 0
        for _ in 0..<2_000 {
            let s = GCStruct(id: ID(client: 1, clock: clock), length: Int(rng.next() % 5) + 1)
            clock += UInt64(s.length)
            list.append(s)
            model.append(s)
        }
        for _ in 0..<5_000 {
            // Take a struct out and put it back where it was: the order (and
            // so every answer) is unchanged, but the gap and indexes move.
            let at = Int(rng.next() % UInt64(model.count))
            let removed = list.remove(at: at)
            #expect(removed === model[at])
            #expect(list.index(containing: model[at].id.clock) != at)  // it is not there now
            list.insert(removed, at: at)
            for _ in 0..<4 {
                let probe = rng.next() % (clock + 3)  // past the end too
                let expected = model.firstIndex { $0.id.clock <= probe && probe < $0.id.clock + UInt64($0.length) }
                #expect(list.index(containing: probe) == expected)
                #expect(list.search(probe) == expected)
            }
        }
    }
}
