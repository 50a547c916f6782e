/// Orders a batch's deferred entries by their keys: a stable radix sort on
/// each key's first eight bytes (`DeferredWrites.Entry.prefix`), then, for
/// each run of entries sharing those bytes, a comparison sort by the next
/// eight (`Entry.next`), the whole key, then write order.
///
/// A comparison sort of the whole batch was a tenth of a million-event
/// rebuild, on the writer's thread: `log n` passes moving every entry, and
/// every tie on the prefix (every entry of one workflow's job, say) a
/// comparison of keys scattered over the chunks. The radix passes read and
/// write the entries in order; the runs left to compare are small, and
/// their keys stay in cache while they are sorted.
package enum PrefixSort {
    package static let digitBits = 11
    package static let radix = 1 << digitBits
    /// Six digits of eleven bits cover the 64-bit prefix.
    package static let digits = (64 + digitBits - 1) / digitBits
    /// Below this, one comparison sort costs less than the radix passes.
    package static let smallCount = 256

    /// Sorts `entries` by (key, write order); `key` gives an entry's key,
    /// whose first eight bytes, zero-padded, are its `prefix`.
    package static func sort(
        _ entries: inout [DeferredWrites.Entry], key: (DeferredWrites.Entry) -> UnsafeRawBufferPointer
    ) {
        func byKey(_ a: DeferredWrites.Entry, _ b: DeferredWrites.Entry) -> Bool {
            if a.prefix != b.prefix { return a.prefix < b.prefix }
            let order = compareKeys(key(a), key(b))
            return order != 0 ? order < 0 : a.start < b.start
        }
        guard entries.count > smallCount else {
            entries.sort(by: byKey)
            return
        }
        sortByPrefix(&entries)
        // Runs of equal prefixes are in write order; put each in key order,
        // by the key's next eight bytes (kept in the entry), then by the
        // whole key when those are equal too.
        var start = 0
        while start < entries.count {
            var end = start + 1
            while end < entries.count && entries[end].prefix == entries[start].prefix { end += 1 }
            if end - start > 1 {
                entries[start..<end].sort { a, b in a.next != b.next ? a.next < b.next : byKey(a, b) }
            }
            start = end
        }
    }

    /// The key's bytes from `offset`, eight of them, big-endian, zero-padded:
    /// keys that differ there compare as these words do.
    @inline(__always)
    package static func word(_ key: UnsafeRawBufferPointer, at offset: Int) -> UInt64 {
        guard let base = key.baseAddress else { return 0 }
        if key.count >= offset + 8 { return UInt64(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
        var word: UInt64 = 0
        for i in offset..<offset + 8 { word = word << 8 | UInt64(i < key.count ? base.load(fromByteOffset: i, as: UInt8.self) : 0) }
        return word
    }

    /// A stable LSD radix sort by `prefix`, skipping the digits every entry
    /// shares (keys often begin alike: a letter, a zero-padded time).
    package static func sortByPrefix(_ entries: inout [DeferredWrites.Entry]) {
        let count = entries.count
        let mask = UInt64(radix - 1)
        var counts = [Int](repeating: 0, count: digits * radix)
        entries.withUnsafeBufferPointer { source in
            counts.withUnsafeMutableBufferPointer { counts in
                for entry in source {
                    var prefix = entry.prefix
                    for digit in 0..<digits {
                        counts[digit &* radix &+ Int(prefix & mask)] &+= 1
                        prefix >>= UInt64(digitBits)
                    }
                }
            }
        }
        var other = [DeferredWrites.Entry](repeating: entries[0], count: count)
        var sortedInOther = false
        for digit in 0..<digits {
            let base = digit * radix
            let shift = UInt64(digit * digitBits)
            // Every entry has the same digit here: the pass would change nothing.
            if counts[base + Int((entries[0].prefix >> shift) & mask)] == count { continue }
            var offsets = [Int](repeating: 0, count: radix)
            var total = 0
            for bucket in 0..<radix {
                offsets[bucket] = total
                total += counts[base + bucket]
            }
            func scatter(_ from: UnsafeBufferPointer<DeferredWrites.Entry>, _ to: UnsafeMutableBufferPointer<DeferredWrites.Entry>) {
                offsets.withUnsafeMutableBufferPointer { offsets in
                    for entry in from {
                        let bucket = Int((entry.prefix >> shift) & mask)
                        to[offsets[bucket]] = entry
                        offsets[bucket] &+= 1
                    }
                }
            }
            if sortedInOther {
                other.withUnsafeBufferPointer { from in entries.withUnsafeMutableBufferPointer { to in scatter(from, to) } }
            } else {
                entries.withUnsafeBufferPointer { from in other.withUnsafeMutableBufferPointer { to in scatter(from, to) } }
            }
            sortedInOther.toggle()
        }
        if sortedInOther { swap(&entries, &other) }
    }
}
