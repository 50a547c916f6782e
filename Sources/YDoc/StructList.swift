/// One client's structs in clock order: an array with a movable gap.
///
/// Editing a text splits structs where it deletes and merges them back at
/// the end of the transaction, in the middle of the client's list; new
/// structs go at its end. In a plain array each of those middle edits moves
/// every struct after it. Here the middle edits happen at the gap, which
/// moves with them: a run of edits in one place (a person typing and
/// deleting) moves only the structs between one edit and the next. Appends
/// go after the last struct and leave the gap where it is.
///
/// Storage cells inside the gap hold nil; every other cell holds a struct.
struct StructList: RandomAccessCollection {
    private var storage: ContiguousArray<AbstractStruct?> = []
    private var gapStart = 0
    private var gapCount = 0
    /// Where `index(containing:)` last found a struct: only a first guess,
    /// checked before use, so edits need not keep it right.
    private var finger = 0

    init() {}

    var startIndex: Int { 0 }
    var endIndex: Int { storage.count - gapCount }

    @inline(__always)
    private func cell(_ index: Int) -> Int { index < gapStart ? index : index + gapCount }

    subscript(index: Int) -> AbstractStruct {
        // No check of its own: an index outside the list maps outside the
        // storage (or onto a gap cell only through a negative index, which
        // the storage refuses), so the storage's bounds check traps it.
        @inline(__always) get { storage[cell(index)].unsafelyUnwrapped }
        set {
            precondition(index >= 0 && index < endIndex, "struct index out of range")
            storage[cell(index)] = newValue
        }
    }

    /// The struct at `index`, unretained: for callers that only look at it
    /// while the list keeps it (reading it out would retain it).
    @inline(__always)
    func unretained(at index: Int) -> Unmanaged<AbstractStruct> {
        storage.withUnsafeBufferPointer { Unmanaged.passUnretained($0[cell(index)].unsafelyUnwrapped) }
    }

    /// The index of the struct containing `clock`. Integration asks about
    /// neighbouring structs one after another, so the last one found and
    /// the one after it are tried before searching.
    mutating func index(containing clock: UInt64) -> Int? {
        let count = endIndex
        if finger < count {
            let s = self[finger]
            if s.id.clock <= clock {
                if clock < s.id.clock + UInt64(s.length) { return finger }
                if finger + 1 < count {
                    let next = self[finger + 1]
                    if next.id.clock <= clock && clock < next.id.clock + UInt64(next.length) {
                        finger += 1
                        return finger
                    }
                }
            }
        }
        guard let found = search(clock) else { return nil }
        finger = found
        return found
    }

    /// The index of the struct containing `clock` (binary search, with a
    /// first guess from the average struct length, as Yjs does). Searched in
    /// the storage itself: the hottest lookup of integration.
    func search(_ clock: UInt64) -> Int? {
        let gapStart = gapStart, gapCount = gapCount
        return storage.withUnsafeBufferPointer { cells -> Int? in
            var left = 0
            var right = cells.count - gapCount - 1
            guard right >= 0 else { return nil }
            @inline(__always) func at(_ index: Int) -> AbstractStruct {
                cells[index < gapStart ? index : index + gapCount].unsafelyUnwrapped
            }
            let last = at(right)
            let end = last.id.clock + UInt64(last.length)
            guard clock < end else { return nil }
            // Integration mostly asks for the newest struct (an item's origin
            // is often the one just added before it).
            if last.id.clock <= clock { return right }
            var mid = Int((Double(clock) / Double(end)) * Double(right))
            while left <= right {
                let s = at(mid)
                if s.id.clock <= clock {
                    if clock < s.id.clock + UInt64(s.length) { return mid }
                    left = mid + 1
                } else {
                    right = mid - 1
                }
                mid = (left + right) / 2
            }
            return nil
        }
    }

    var capacity: Int { storage.capacity - gapCount }

    mutating func reserveCapacity(_ count: Int) { storage.reserveCapacity(count + gapCount) }

    mutating func append(_ s: AbstractStruct) {
        if gapCount > 0 && gapStart == endIndex {
            // The gap is at the end: it is spare room.
            storage[gapStart] = s
            gapStart += 1
            gapCount -= 1
        } else {
            storage.append(s)
        }
    }

    mutating func insert(_ s: AbstractStruct, at index: Int) {
        precondition(index >= 0 && index <= endIndex, "struct index out of range")
        if index == endIndex {
            append(s)
            return
        }
        if gapCount == 0 {
            // Room for the next few edits here, paid for once.
            let room = Swift.max(16, endIndex / 32)
            storage.insert(contentsOf: repeatElement(nil, count: room), at: index)
            gapStart = index
            gapCount = room
        } else {
            moveGap(to: index)
        }
        storage[gapStart] = s
        gapStart += 1
        gapCount -= 1
    }

    @discardableResult
    mutating func remove(at index: Int) -> AbstractStruct {
        precondition(index >= 0 && index < endIndex, "struct index out of range")
        if index == endIndex - 1 && (gapCount == 0 || gapStart < index) {
            // The last struct, with no gap after it: an array's cheap case.
            return storage.removeLast().unsafelyUnwrapped
        }
        moveGap(to: index)
        let removed = storage[gapStart + gapCount].unsafelyUnwrapped
        storage[gapStart + gapCount] = nil
        gapCount += 1
        return removed
    }

    /// Makes the gap start at `index`, moving the structs between.
    private mutating func moveGap(to index: Int) {
        guard index != gapStart, gapCount > 0 else {
            gapStart = index
            return
        }
        let gap = gapCount
        let start = gapStart
        storage.withUnsafeMutableBufferPointer { cells in
            let base = cells.baseAddress!
            if index < start {
                // Structs [index, start) go to the far side of the gap.
                let moved = start - index
                (base + index + gap).moveInitialize(from: base + index, count: moved)
                (base + index).initialize(repeating: nil, count: Swift.min(moved, gap))
            } else {
                // Structs just after the gap come before it.
                let moved = index - start
                base.advanced(by: start).moveInitialize(from: base + start + gap, count: moved)
                (base + index + gap - Swift.min(moved, gap)).initialize(repeating: nil, count: Swift.min(moved, gap))
            }
        }
        gapStart = index
    }
}
