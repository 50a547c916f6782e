/// How waiting structs from two updates become one list, as Yjs merges its
/// pending update with an update's rest (`mergeUpdatesV2`, which
/// `readUpdateV2` calls with the pending update first). Where two structs
/// claim one clock, which one keeps it decides what a replica integrates
/// once the wait ends, so a room and a store that saw the same updates in
/// other shapes (an update, or a diff of a document holding it) must
/// decide alike, and as Yjs does (docs/documents.md, "Hostile updates").
///
/// Yjs's rule, per client from the highest id down:
/// - the source whose next struct has the lowest clock goes first; a tie
///   goes to the source that was first at the last comparison (a stable
///   sort of the same array, again at every step), the older at the start;
/// - a struct wholly below the end of the last one taken is dropped (its
///   clocks are claimed); one that starts below it loses its first units;
/// - then the source that gave a struct gives every struct that follows it
///   without a gap, before the other source is looked at again. So a run of
///   one update keeps its clocks against a struct of the other that starts
///   inside the run: sorting every struct by clock would give that struct
///   the clocks after its start.
enum WaitingMerge {
    /// One list per client, from `sources` (each by client, in clock order,
    /// no two overlapping: a decoded update's lists, or an earlier merge's),
    /// the oldest source first. Structs are cut in place. `rival` is told
    /// of each struct dropped or cut for clocks taken by another source,
    /// with the structs of its client taken so far.
    static func merge(
        _ sources: [[UInt64: [AbstractStruct]]], rival: (AbstractStruct, ArraySlice<AbstractStruct>) -> Void
    ) -> [UInt64: [AbstractStruct]] {
        // Each source as Yjs's decoder reads an update: clients from the highest id down.
        let sequences: [[AbstractStruct]] = sources.map { source in
            source.keys.sorted(by: >).flatMap { source[$0] ?? [] }
        }
        var next = [Int](repeating: 0, count: sequences.count)
        var order = Array(sequences.indices)
        var out: [UInt64: [AbstractStruct]] = [:]
        var last: AbstractStruct?  // Yjs's `currWrite`
        func head(_ source: Int) -> AbstractStruct? {
            next[source] < sequences[source].count ? sequences[source][next[source]] : nil
        }
        func precedes(_ a: AbstractStruct, _ b: AbstractStruct) -> Bool {
            a.id.client != b.id.client ? a.id.client > b.id.client : a.id.clock < b.id.clock
        }
        func take(_ s: AbstractStruct, from source: Int) {
            out[s.id.client, default: []].append(s)
            last = s
            next[source] += 1
        }
        while true {
            order.removeAll { head($0) == nil }
            // Insertion sort: stable, and the array holds a few sources.
            for i in order.indices.dropFirst() {
                var j = i
                while j > 0, precedes(head(order[j])!, head(order[j - 1])!) {
                    order.swapAt(j, j - 1)
                    j -= 1
                }
            }
            guard let source = order.first, let first = head(source) else { break }
            let client = first.id.client
            if let last, last.id.client == client {
                let end = last.id.clock + UInt64(last.length)
                let taken = out[client]?[...] ?? []
                var skipped = false
                while let s = head(source), s.id.client == client, s.id.clock + UInt64(s.length) <= end {
                    rival(s, taken)
                    next[source] += 1
                    skipped = true
                }
                // Past what it claimed, this source may now lie beyond a gap
                // another source fills: compare again.
                guard let s = head(source), s.id.client == client, !(skipped && s.id.clock > end) else { continue }
                if s.id.clock < end {
                    rival(s, taken)
                    cut(s, Int(end - s.id.clock))
                }
                take(s, from: source)
            } else {
                take(first, from: source)
            }
            while let s = head(source), let last, s.id.client == last.id.client,
                s.id.clock == last.id.clock + UInt64(last.length)
            {
                take(s, from: source)
            }
        }
        return out
    }

    /// Drops the first `offset` units of waiting struct `s`.
    static func cut(_ s: AbstractStruct, _ offset: Int) {
        if let item = s.asItem {
            Transaction.dropHeldPart(item, offset)
        } else {
            s.id.clock += UInt64(offset)
            s.length -= offset
        }
    }
}
