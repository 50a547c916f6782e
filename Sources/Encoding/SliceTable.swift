/// A hash table keyed by byte slices (ids read in place), for the
/// per-batch maps of a replay: run id → run, run id → workflow.
///
/// Open addressing with linear probing, each slot keeping its key's hash
/// (`ByteSlice.hash64`), so a probe compares 64-bit hashes and reads key
/// bytes only on a match, and no `Hasher` runs: a `Dictionary` keyed by
/// slices spent more on hashing and on comparing the keys of its probes
/// than on everything else it did.
///
/// Inlinable, so it is specialized for each value type where it is used
/// (generic code called across modules is not).
public struct SliceTable<Value> {
    /// 0 marks an empty slot (a key hashing to 0 is stored as 1).
    @usableFromInline var hashes: [UInt64]
    @usableFromInline var keys: [ByteSlice]
    @usableFromInline var values: [Value?]
    @usableFromInline var mask: Int
    @usableFromInline var storedCount = 0
    @inlinable public var count: Int { storedCount }

    @inlinable
    public init(capacity: Int = 16) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        hashes = Array(repeating: 0, count: size)
        keys = Array(repeating: ByteSlice(UnsafeRawBufferPointer(start: nil, count: 0)), count: size)
        values = Array(repeating: nil, count: size)
        mask = size - 1
    }

    @inlinable
    public var isEmpty: Bool { count == 0 }

    @inlinable @inline(__always)
    static func hash(_ key: ByteSlice) -> UInt64 { max(key.hash64, 1) }

    /// The slot holding `key`, or the empty slot where it would go.
    @inlinable @inline(__always)
    func find(_ key: ByteSlice, _ hash: UInt64) -> (slot: Int, found: Bool) {
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let stored = hashes[slot]
            if stored == 0 { return (slot, false) }
            if stored == hash && keys[slot] == key { return (slot, true) }
            slot = (slot + 1) & mask
        }
    }

    @inlinable
    public subscript(key: ByteSlice) -> Value? {
        get {
            let (slot, found) = find(key, Self.hash(key))
            return found ? values[slot] : nil
        }
        set {
            let hash = Self.hash(key)
            let (slot, found) = find(key, hash)
            if let newValue {
                if found {
                    values[slot] = newValue
                    return
                }
                hashes[slot] = hash
                keys[slot] = key
                values[slot] = newValue
                storedCount += 1
                if count * 2 > hashes.count { grow() }
            } else if found {
                remove(at: slot)
            }
        }
    }

    /// Every key and value, in no particular order.
    @inlinable
    public func forEach(_ body: (ByteSlice, Value) throws -> Void) rethrows {
        for slot in hashes.indices where hashes[slot] != 0 { try body(keys[slot], values[slot]!) }
    }

    @inlinable
    public mutating func removeAll() {
        guard count > 0 else { return }
        for slot in hashes.indices where hashes[slot] != 0 {
            hashes[slot] = 0
            values[slot] = nil
        }
        storedCount = 0
    }

    /// Empties `slot`, then moves back each later key of its run that its
    /// probe would otherwise no longer reach (no tombstones).
    @inlinable
    mutating func remove(at slot: Int) {
        var hole = slot
        var next = (slot + 1) & mask
        while hashes[next] != 0 {
            let home = Int(truncatingIfNeeded: hashes[next]) & mask
            // `next` may fill the hole if its home is not between the hole
            // (exclusive) and itself (inclusive), going round the table.
            let reachesHole = hole <= next ? (home <= hole || home > next) : (home <= hole && home > next)
            if reachesHole {
                hashes[hole] = hashes[next]
                keys[hole] = keys[next]
                values[hole] = values[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        hashes[hole] = 0
        values[hole] = nil
        storedCount -= 1
    }

    @inlinable
    mutating func grow() {
        var bigger = SliceTable(capacity: hashes.count)
        for slot in hashes.indices where hashes[slot] != 0 {
            let (target, _) = bigger.find(keys[slot], hashes[slot])
            bigger.hashes[target] = hashes[slot]
            bigger.keys[target] = keys[slot]
            bigger.values[target] = values[slot]
        }
        bigger.storedCount = storedCount
        self = bigger
    }
}
