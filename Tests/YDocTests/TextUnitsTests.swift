import TestSupport
import Testing

@testable import YDoc

/// `TextUnits` shares buffers between items, so the tests check that no
/// item's units ever change through another's edits: a seeded mix of
/// splits, merges back and typing, against plain arrays doing the same.
@Suite struct TextUnitsTests {
    @Test(arguments: [1, 2, 3])
    func piecesKeepTheirOwnUnits(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        // Every piece starts in one shared buffer, as an update's texts do.
        let shared = TextBuffer()
        var pieces: [TextUnits] = []
        var models: [[UInt16]] = []
        for _ in 0..<20 {
            let units = (0..<Int(1 + rng.next() % 12)).map { _ in UInt16(0x61 + rng.next() % 26) }
            let start = shared.units.count
            shared.units += units
            pieces.append(TextUnits(buffer: shared, start: start, count: units.count))
            models.append(units)
        }
        for _ in 0..<5_000 {
            let i = Int(rng.next() % UInt64(pieces.count))
            switch rng.next() % 4 {
            case 0 where pieces[i].length > 1:
                // A split: the right part becomes a piece of its own, just after.
                let offset = 1 + Int(rng.next() % UInt64(pieces[i].length - 1))
                let right = pieces[i].splice(offset)
                pieces.insert(right, at: i + 1)
                models.insert(Array(models[i][offset...]), at: i + 1)
                models[i].removeSubrange(offset...)
            case 1 where i + 1 < pieces.count:
                // A merge of a piece with the next (split ones, or any two).
                let next = pieces.remove(at: i + 1)
                pieces[i].append(next)
                models[i] += models.remove(at: i + 1)
            case 2:
                let typed = (0..<Int(1 + rng.next() % 4)).map { _ in UInt16(0x41 + rng.next() % 26) }
                pieces[i].append(typed: typed)
                models[i] += typed
            default:
                break
            }
            if pieces.count > 60 { pieces.removeLast(); models.removeLast() }
        }
        for (piece, model) in zip(pieces, models) {
            #expect(Array(piece.units()) == model)
            #expect(piece.length == model.count)
        }
    }

    /// Splitting a surrogate pair leaves U+FFFD on both sides (as Yjs does),
    /// and only in the item split.
    @Test func splitSurrogatePairBecomesReplacementCharacters() {
        let shared = TextBuffer(Array("a😀b".utf16) + Array("😀".utf16))
        var item = TextUnits(buffer: shared, start: 0, count: 4)
        let other = TextUnits(buffer: shared, start: 4, count: 2)
        let right = item.splice(2)
        #expect(Array(item.units()) == [0x61, 0xFFFD])
        #expect(Array(right.units()) == [0xFFFD, 0x62])
        #expect(Array(other.units()) == Array("😀".utf16))
    }

    /// A piece that does not end its buffer copies when typed on, and the
    /// piece after it keeps its units.
    @Test func typingInTheMiddleOfABufferCopies() {
        let shared = TextBuffer(Array("abcdef".utf16))
        var first = TextUnits(buffer: shared, start: 0, count: 3)
        var second = TextUnits(buffer: shared, start: 3, count: 3)
        first.append(typed: Array("XY".utf16))
        second.append(typed: Array("Z".utf16))
        #expect(String(decoding: first.units(), as: UTF16.self) == "abcXY")
        #expect(String(decoding: second.units(), as: UTF16.self) == "defZ")
        #expect(first.buffer !== shared)
        #expect(second.buffer === shared)
    }
}
