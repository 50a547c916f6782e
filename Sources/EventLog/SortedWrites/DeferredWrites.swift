public import LMDB
import Glibc
import CPUHints

/// Writes deferred to the end of a batch and then made in key order. LMDB
/// copies every leaf page a write transaction touches; inserting a batch's
/// keys in order touches each page once, in random order once per key. A
/// table that is empty, or whose keys all sort before the batch's (a
/// rebuild's first batch), is loaded through one appending cursor instead.
///
/// Keys and values are copied into chunks of one mebibyte, allocated as the
/// batch grows and never moved: a batch of millions of writes is a few
/// hundred allocations, sorting compares bytes in place (no reference
/// counting per comparison), and the memory held is what the entries need.
/// (One growing array per table, as before, held up to twice that: the
/// slack of its last doubling.)
package final class DeferredWrites {
    package struct Entry {
        /// Where the key starts: chunk `start >> chunkShift`, at offset
        /// `start & chunkMask` in it. Grows with the order of the writes.
        var start: Int
        var keyCount: Int32
        /// `deletion` for a key to remove rather than write. Wider than the
        /// key's count: a value is any size (one run's record, with a
        /// mebibyte of error text a step, may pass 2 GiB), a key at most
        /// LMDB's 511 bytes.
        var valueCount: Int
        /// The key's first eight bytes, big-endian, zero-padded: most
        /// comparisons end here.
        var prefix: UInt64
        /// Its next eight bytes, the same way: read while the key is still
        /// in cache, so that sorting keys that share their first eight
        /// bytes (one workflow's job, one trigger) seldom reads the keys.
        var next: UInt64
    }

    package struct Table {
        var entries: [Entry] = []
        /// Whether `entries` are in key order (see `sort`).
        var isSorted = true
    }

    /// The `valueCount` of a deferred deletion.
    package static let deletion = -1

    package static let chunkShift = 20
    package static let chunkSize = 1 << chunkShift
    package static let chunkMask = chunkSize - 1
    /// How many entries ahead an append prefetches: sorted entries lie
    /// scattered over the chunks, and each append began with a cache miss
    /// on its key (about a tenth of a rebuild's writing, measured).
    package static let lookAhead = 8

    // Touched at every deferred write, never from two places at once: no
    // run-time exclusivity checks.
    @exclusivity(unchecked) package private(set) var tables: [Table] = []
    /// Every entry's bytes; an entry larger than a chunk gets one of its own.
    @exclusivity(unchecked) private var chunks: [UnsafeMutableRawPointer] = []
    /// Where the next entry goes in the last chunk.
    private var used = chunkSize
    /// Where an entry is built before it is copied into a chunk (its size is
    /// known only once built); reused, so it stops growing early.
    @exclusivity(unchecked) private var staging = EntryBuilder()
    /// What the deferred writes hold, in bytes (chunks and entries).
    package private(set) var byteCount = 0

    package var isEmpty: Bool { tables.allSatisfy(\.entries.isEmpty) }

    package init() {}

    deinit {
        release()
        staging.release()
    }

    package func add(_ table: Int, _ key: [UInt8], _ value: [UInt8]) {
        add(table, key: { $0.append(bytes: key) }, value: { $0.append(bytes: value) })
    }

    /// Adds an entry whose key and value `key` and `value` append to a
    /// buffer themselves (a key of several parts costs no array per part).
    package func add(_ table: Int, key: (inout EntryBuilder) -> Void, value: (inout EntryBuilder) -> Void) {
        staging.reset()
        key(&staging)
        let keyCount = staging.count
        value(&staging)
        let count = staging.count
        let start = reserve(count)
        if count > 0 { pointer(start).copyMemory(from: staging.base, byteCount: count) }
        record(table, start: start, keyCount: keyCount, valueCount: count - keyCount)
    }

    /// Adds an entry whose key `key` appends to a buffer and whose value
    /// `value` writes in place, at most `valueBound` bytes, returning how
    /// many it wrote: a large value (a run's record) is written once, where
    /// it stays, without a capacity check per field.
    package func add(
        _ table: Int, key: (inout EntryBuilder) -> Void, valueBound: Int, value: (UnsafeMutableRawPointer) -> Int
    ) {
        let (start, keyCount) = placeKey(key, room: valueBound)
        let valueCount = value(pointer(start) + keyCount)
        precondition(valueCount <= valueBound, "a deferred value wrote past its bound")
        // Give back what the value did not use (the chunk's tail is this entry's).
        if keyCount + valueBound <= Self.chunkSize { used -= valueBound - valueCount }
        record(table, start: start, keyCount: keyCount, valueCount: valueCount)
    }

    /// Adds the removal of the key `key` appends: like a write, the last of
    /// a batch's writes and removals of a key is the one that counts.
    package func addDeletion(_ table: Int, key: (inout EntryBuilder) -> Void) {
        let (start, keyCount) = placeKey(key, room: 0)
        record(table, start: start, keyCount: keyCount, valueCount: Self.deletion)
    }

    /// Builds the key `key` appends and copies it into a chunk, with `room`
    /// bytes after it.
    private func placeKey(_ key: (inout EntryBuilder) -> Void, room: Int) -> (start: Int, keyCount: Int) {
        staging.reset()
        key(&staging)
        let keyCount = staging.count
        let start = reserve(keyCount + room)
        if keyCount > 0 { pointer(start).copyMemory(from: staging.base, byteCount: keyCount) }
        return (start, keyCount)
    }

    /// Lists an entry whose key (and value) are in place at `start`.
    private func record(_ table: Int, start: Int, keyCount: Int, valueCount: Int) {
        while tables.count <= table { tables.append(Table()) }
        let key = UnsafeRawBufferPointer(start: pointer(start), count: keyCount)
        tables[table].entries.append(Entry(
            start: start, keyCount: Int32(keyCount), valueCount: valueCount, prefix: PrefixSort.word(key, at: 0),
            next: PrefixSort.word(key, at: 8)))
        tables[table].isSorted = false
        byteCount += MemoryLayout<Entry>.stride
    }

    /// Room for `count` bytes; returns where they start.
    private func reserve(_ count: Int) -> Int {
        if chunks.isEmpty || count > Self.chunkSize - used {
            let size = max(count, Self.chunkSize)
            chunks.append(.allocate(byteCount: size, alignment: 16))
            byteCount += size
            used = 0
        }
        let start = (chunks.count - 1) << Self.chunkShift | used
        // An oversized entry fills its chunk alone.
        used = count > Self.chunkSize ? Self.chunkSize : used + count
        return start
    }

    @inline(__always)
    private func pointer(_ start: Int) -> UnsafeMutableRawPointer {
        chunks[start >> Self.chunkShift] + (start & Self.chunkMask)
    }

    @inline(__always)
    private func key(_ e: Entry) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: pointer(e.start), count: Int(e.keyCount))
    }

    @inline(__always)
    private func value(_ e: Entry) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: pointer(e.start) + Int(e.keyCount), count: max(e.valueCount, 0))
    }

    /// Puts every table's entries in key order: work that needs no
    /// transaction, so a replay thread does it for its projectors before
    /// handing them to the writer.
    package func sort() {
        for index in tables.indices where !tables[index].isSorted { sort(index) }
    }

    private func sort(_ index: Int) {
        // Equal keys keep their write order (starts grow with it), so the
        // later write of a key is the one `write` keeps.
        PrefixSort.sort(&tables[index].entries, key: key)
        tables[index].isSorted = true
    }

    /// Writes every table's entries in key order, then lets them go, unless
    /// `keep` (a transaction that may run again, as a full map makes it, needs them twice).
    package func write(_ transaction: WriteTransaction, _ handles: [Database], keep: Bool = false) throws {
        for index in tables.indices where !tables[index].entries.isEmpty {
            if !tables[index].isSorted { sort(index) }
            try write(tables[index].entries, to: handles[index], transaction)
        }
        if keep { return }
        tables.removeAll(keepingCapacity: false)
        release()
        byteCount = 0
    }

    private func release() {
        for chunk in chunks { chunk.deallocate() }
        chunks.removeAll()
        used = Self.chunkSize
    }

    private func write(_ entries: [Entry], to db: Database, _ transaction: WriteTransaction) throws {
        func isShadowed(_ i: Int) -> Bool {
            guard i + 1 < entries.count, entries[i + 1].prefix == entries[i].prefix,
                entries[i + 1].next == entries[i].next, entries[i + 1].keyCount == entries[i].keyCount
            else { return false }
            // Keys of one table mostly end in a sequence number: comparing
            // the last eight bytes first usually settles it without memcmp.
            let a = key(entries[i]), b = key(entries[i + 1])
            if a.count >= 8 && a.loadUnaligned(fromByteOffset: a.count - 8, as: UInt64.self)
                != b.loadUnaligned(fromByteOffset: b.count - 8, as: UInt64.self)
            {
                return false
            }
            return compareKeys(a, b) == 0
        }
        let appendable: Bool
        if let last = try transaction.lastKey(db) {
            appendable = last.withUnsafeBytes { compareKeys($0, key(entries[0])) < 0 }
        } else {
            appendable = true
        }
        // A deletion of a key the table does not hold (appending: none it
        // holds sorts this late) writes nothing.
        if appendable {
            try transaction.bulkAppend(db) { appender in
                for i in entries.indices {
                    if i + Self.lookAhead < entries.count { cairn_prefetch(pointer(entries[i + Self.lookAhead].start)) }
                    guard !isShadowed(i) && entries[i].valueCount != Self.deletion else { continue }
                    try appender.append(key: key(entries[i]), value: value(entries[i]))
                }
            }
        } else {
            for i in entries.indices where !isShadowed(i) {
                if entries[i].valueCount == Self.deletion {
                    _ = try transaction.delete(db, key: key(entries[i]))
                } else {
                    try transaction.put(db, key: key(entries[i]), value: value(entries[i]))
                }
            }
        }
    }
}

/// LMDB's default key order: bytes compared as unsigned, a prefix first.
@inline(__always)
package func compareKeys(_ x: UnsafeRawBufferPointer, _ y: UnsafeRawBufferPointer) -> Int {
    let common = min(x.count, y.count)
    if common > 0, let p = x.baseAddress, let q = y.baseAddress {
        let order = memcmp(p, q, common)
        if order != 0 { return Int(order) }
    }
    return x.count - y.count
}
