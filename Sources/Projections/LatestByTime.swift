import EventLog
import Encoding

/// The pattern both cursor projections share: for a key (a workflow's job, a
/// trigger), every eligible dataclip ordered by (finished_at, sequence), so
/// the latest is one reverse seek and a wipe falls back to the one before it
/// without reading the log. An index by dataclip finds what a wipe removes.
struct LatestByTime {
    let entries: Int
    let byDataclip: Int

    /// Records `dataclipId` at (time, sequence) under the key `key` appends
    /// (built in place, part by part: no array of its own per event).
    func insert(
        time: Timestamp, sequence: UInt64, dataclipId: ByteSlice, _ context: ProjectionContext,
        key: (inout EntryBuilder) -> Void
    ) throws {
        func entry(_ bytes: inout EntryBuilder) {
            key(&bytes)
            bytes.appendTime(time)
            bytes.appendBigEndian(sequence)
        }
        context.putAtEndOfBatch(entries, key: entry, value: { $0.append(dataclipId) })
        context.putAtEndOfBatch(byDataclip, key: {
            $0.appendPart(dataclipId)
            entry(&$0)
        })
    }

    /// Forgets every entry that points at `dataclipId`.
    func remove(dataclipId: ByteSlice, _ context: ProjectionContext) throws {
        try context.writeDeferred()  // this batch's inserts may hold the dataclip
        let prefix = Key.part(dataclipId)
        for indexKey in try context.keys(byDataclip, prefix: prefix) {
            try context.delete(entries, Array(indexKey.dropFirst(prefix.count)))
            try context.delete(byDataclip, indexKey)
        }
    }
}
