/// Storage for the UTF-16 code units of text items, shared by the items
/// whose content lies in it: every text item decoded from one update, or
/// the pieces of one item split apart. A class, so that appending to it
/// never copies it for the other items that hold it.
final class TextBuffer {
    @exclusivity(unchecked) var units: [UInt16]

    init(_ units: [UInt16] = []) { self.units = units }
}

/// The code units of one text item: a range of a `TextBuffer`.
///
/// Decoding an update used to allocate an array per text item, which was a
/// third of its allocations; now an update's texts share one buffer, and
/// splitting an item shares its range. Ranges of different items never
/// overlap, and nothing lies after the range that ends a buffer, so an item
/// can change its own units in place (Yjs's replacement of a split
/// surrogate pair) and the item at a buffer's end can grow it (typing on).
struct TextUnits {
    private(set) var buffer: TextBuffer
    // 32 bits each: the content enum keeps its 16-byte payload.
    private(set) var start: UInt32
    private(set) var count: UInt32

    /// Units in a buffer of their own.
    init(_ units: [UInt16]) {
        self.init(buffer: TextBuffer(units), start: 0, count: units.count)
    }

    init(buffer: TextBuffer, start: Int, count: Int) {
        self.buffer = buffer
        self.start = UInt32(start)
        self.count = UInt32(count)
    }

    var length: Int { Int(count) }
    private var end: Int { Int(start) + Int(count) }

    /// The units from `offset` on.
    func units(from offset: Int = 0) -> ArraySlice<UInt16> { buffer.units[(Int(start) + offset)..<end] }

    /// Splits off and returns the units from `offset` on; `self` keeps the
    /// rest. A surrogate pair cut in two becomes U+FFFD twice, as in Yjs,
    /// unless `replacingACutPair` is false (`Transaction.split`).
    mutating func splice(_ offset: Int, replacingACutPair: Bool = true) -> TextUnits {
        let right = TextUnits(buffer: buffer, start: Int(start) + offset, count: Int(count) - offset)
        count = UInt32(offset)
        if replacingACutPair, endsInAHighSurrogate { Self.replaceCutPair(self, right) }
        return right
    }

    /// Whether the last unit begins a surrogate pair (so a split after it cut one).
    var endsInAHighSurrogate: Bool { count > 0 && (0xD800...0xDBFF).contains(buffer.units[end - 1]) }

    /// Yjs never leaves half a surrogate pair on either side: when a split
    /// leaves `left` ending in a high surrogate, it replaces that unit and
    /// the first of `right` with U+FFFD. Each range is its item's own, so
    /// they change in place (the buffer is a class). Either is nil when
    /// its content was collected.
    static func replaceCutPair(_ left: TextUnits?, _ right: TextUnits?) {
        if let left, left.count > 0 { left.buffer.units[left.end - 1] = 0xFFFD }
        if let right, right.count > 0 { right.buffer.units[Int(right.start)] = 0xFFFD }
    }

    /// Appends `other`'s units: by widening the range when `other` is the
    /// piece right after it (a split merged back), by growing the buffer
    /// when this range ends it, and otherwise into a buffer of its own.
    mutating func append(_ other: TextUnits) {
        if other.buffer === buffer && other.start == start + count {
            count += other.count
        } else if end == buffer.units.count && other.buffer !== buffer {
            buffer.units.append(contentsOf: other.units())
            count += other.count
        } else {
            self = TextUnits(Array(units()) + other.units())
        }
    }

    /// Appends units typed on (see `append(_:)`).
    mutating func append(typed units: [UInt16]) {
        if end == buffer.units.count {
            buffer.units.append(contentsOf: units)
            count += UInt32(units.count)
        } else {
            self = TextUnits(Array(self.units()) + units)
        }
    }
}
