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
}
