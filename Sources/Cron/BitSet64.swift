/// The set of values a cron field matches, as bits 0...63.
struct BitSet64: Hashable, Sendable {
    var bits: UInt64 = 0

    init() {}

    init(_ range: ClosedRange<Int>) {
        for value in range { insert(value) }
    }

    @inline(__always) func contains(_ value: Int) -> Bool { bits & (1 << UInt64(value)) != 0 }
    @inline(__always) mutating func insert(_ value: Int) { bits |= 1 << UInt64(value) }
    var isEmpty: Bool { bits == 0 }
    var count: Int { bits.nonzeroBitCount }

    /// The smallest member >= `value`, if any.
    @inline(__always)
    func next(atOrAfter value: Int) -> Int? {
        guard value < 64 else { return nil }
        let masked = value <= 0 ? bits : bits & (~0 << UInt64(value))
        return masked == 0 ? nil : masked.trailingZeroBitCount
    }

    /// The largest member <= `value`, if any.
    @inline(__always)
    func previous(atOrBefore value: Int) -> Int? {
        guard value >= 0 else { return nil }
        let masked = value >= 63 ? bits : bits & ((1 << UInt64(value + 1)) &- 1)
        return masked == 0 ? nil : 63 - masked.leadingZeroBitCount
    }

    var members: [Int] { (0..<64).filter(contains) }
}
