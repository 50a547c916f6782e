/// How waiting structs from two updates become one list, as Yjs merges its
/// pending update with an update's rest (`mergeUpdatesV2`, which
/// `readUpdateV2` calls with the pending update first). Where two structs
/// claim one clock, which one keeps it decides what a replica integrates
/// once the wait ends, so a room and a store that saw the same updates in
/// other shapes (an update, or a diff of a document holding it) must
/// decide alike, and as Yjs does (docs/documents.md, "Hostile updates").
///
/// Yjs's rule, per client from the highest id down:
/// - the source whose next struct has the lowest clock goes first. A tie
///   keeps the order of the last comparison (the older source at the
///   start). Not copied: between a GC range and an item at one clock,
///   Yjs's comparator calls each of the two first, and what the sort then
///   does depends on the JavaScript engine (V8 swaps the two sources).
///   Swapping made the result depend on how the waiting structs came
///   grouped into updates (the store took an update, the room a diff of
///   the store: fuzz finding 26), so Cairn merges as Yjs would with a
///   consistent comparator;
/// - a struct wholly below the end of the last one taken is dropped (its
///   clocks are claimed); one that starts below it loses its first units;
/// - then the source that gave a struct gives every struct that follows it
///   without a gap, before the other source is looked at again. So a run of
///   one update keeps its clocks against a struct of the other that starts
///   inside the run: sorting every struct by clock would give that struct
///   the clocks after its start;
/// - but a GC range taken right after a GC range is merged into it (the
///   result holds one range, which a later merge sees whole), and Yjs
///   then leaves its source where it was: that source is compared again
///   by the range's first clock, and gives no run this time.
/// Only structs claiming clocks another claims (no honest peer writes
/// them) can tell these rules from a plain merge by clock.
enum WaitingMerge {
    /// One list per client, from `older` and `newer` (each by client, in
    /// clock order, no two overlapping: a decoded update's lists, or an
    /// earlier merge's). Structs are cut in place. `rival` is told of each
    /// struct dropped or cut for clocks another took, before it is cut,
    /// with the structs taken so far that it overlaps.
    static func merge(
        _ older: [UInt64: [AbstractStruct]], _ newer: [UInt64: [AbstractStruct]],
        rival: (AbstractStruct, ArraySlice<AbstractStruct>) -> Void
    ) -> [UInt64: [AbstractStruct]] {
        // Each source as Yjs's decoder reads an update: clients from the highest id down.
        let sequences: [[AbstractStruct]] = [older, newer].map { source in
            source.keys.sorted(by: >).flatMap { source[$0] ?? [] }
        }
        var next = [0, 0]
        // A source whose head was merged into the last GC range: that head's
        // client and first clock, by which Yjs still sorts it.
        var merged: [(client: UInt64, clock: UInt64)?] = [nil, nil]
        var order = [0, 1]
        var out: [UInt64: [AbstractStruct]] = [:]
        var last: AbstractStruct?  // Yjs's `currWrite`
        func head(_ source: Int) -> AbstractStruct? {
            next[source] < sequences[source].count ? sequences[source][next[source]] : nil
        }
        typealias Key = (client: UInt64, clock: UInt64)
        func key(_ source: Int) -> Key? {
            if let m = merged[source] { return m }
            return head(source).map { ($0.id.client, $0.id.clock) }
        }
        // Yjs's order of the sources' next structs: clients from the highest id down.
        func first(_ a: Key, _ b: Key) -> Bool { a.client != b.client ? a.client > b.client : a.clock < b.clock }
        func take(_ s: AbstractStruct, from source: Int) {
            out[s.id.client, default: []].append(s)
            last = s
            next[source] += 1
        }
        // The taken structs `s` overlaps. Those of its client are in clock
        // order and do not overlap, so they end just before the first that
        // starts past `s`: found by halving, as walking back from the last
        // would visit every struct taken after `s` (quadratic for an update
        // come twice while it waits).
        func overlapped(_ s: AbstractStruct) -> ArraySlice<AbstractStruct> {
            guard let taken = out[s.id.client] else { return [] }
            let end = s.id.clock + UInt64(s.length)
            var low = taken.startIndex
            var high = taken.endIndex
            while low < high {
                let middle = low + (high - low) / 2
                if taken[middle].id.clock < end { low = middle + 1 } else { high = middle }
            }
            var first = low
            while first > taken.startIndex, taken[first - 1].id.clock + UInt64(taken[first - 1].length) > s.id.clock { first -= 1 }
            return taken[first..<low]
        }
        while true {
            order.removeAll { key($0) == nil }
            if order.count == 2, let a = key(order[0]), let b = key(order[1]), first(b, a) { order.swapAt(0, 1) }
            guard let source = order.first, let client = key(source)?.client else { break }
            var run = true
            if let last, last.id.client == client {
                let end = last.id.clock + UInt64(last.length)
                // What lies wholly inside what was taken goes; a merged head
                // is already in it.
                var skipped = merged[source] != nil
                merged[source] = nil
                while let s = head(source), s.id.client == client, s.id.clock + UInt64(s.length) <= end {
                    rival(s, overlapped(s))
                    next[source] += 1
                    skipped = true
                }
                // Past what it claimed, this source may now lie beyond a gap
                // another source fills: compare again.
                guard let s = head(source), s.id.client == client, !(skipped && s.id.clock > end) else { continue }
                let start = s.id.clock
                if start < end {
                    rival(s, overlapped(s))
                    cut(s, Int(end - start))
                }
                if s.id.clock == end, !s.isItem, !last.isItem {
                    // One range from here on, as Yjs writes it: a later
                    // merge sees it whole, not in pieces.
                    last.length += s.length
                    next[source] += 1
                    merged[source] = (client, start)
                    run = false
                } else {
                    take(s, from: source)
                }
            } else if merged[source] != nil {
                merged[source] = nil  // already taken (its client's run ended at it)
                continue
            } else if let s = head(source) {
                take(s, from: source)
            }
            while run, let s = head(source), let last, s.id.client == last.id.client,
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
