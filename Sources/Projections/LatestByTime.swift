import EventLog
import Encoding

/// The pattern both cursor projections share: for a key (a workflow's job, a
/// trigger), every eligible dataclip ordered by (finished_at, sequence), so
/// the latest is one reverse seek and a wipe falls back to the one before it
/// without reading the log.
///
/// A wipe must find every entry of its dataclip. Most uses are made by the
/// run that created the dataclip (a step's new output; a final that is a
/// step's output or `final_state`): the wipe finds those in that run's
/// events, which the log reaches from the dataclip (`Dataclip.origin`). Only
/// the other uses (a dataclip reused by another run, or recorded before
/// the log kept origins) go into an index by dataclip. That index was four
/// in ten of a rebuild's entries when it held every use.
struct LatestByTime {
    let entries: Int
    let byDataclip: Int

    /// Records `dataclipId` at (time, sequence) under the key `key` appends
    /// (built in place, part by part: no array of its own per event).
    /// `fromThisRun`: the event's run created the dataclip, so a wipe finds
    /// this use without the index.
    func insert(
        time: Timestamp, sequence: UInt64, dataclipId: ByteSlice, fromThisRun: Bool, _ context: ProjectionContext,
        key: (inout EntryBuilder) -> Void
    ) throws {
        func entry(_ bytes: inout EntryBuilder) {
            key(&bytes)
            bytes.appendTime(time)
            bytes.appendBigEndian(sequence)
        }
        context.putAtEndOfBatch(entries, key: entry, value: { $0.append(dataclipId) })
        if fromThisRun { return }
        context.putAtEndOfBatch(byDataclip, key: {
            $0.appendPart(dataclipId)
            entry(&$0)
        })
    }

    /// Forgets every entry that points at `dataclipId`, wiped by the event
    /// at `wipe`. `use` gives the key (as `insert`'s closure builds it) and
    /// time under which an event of the dataclip's origin run recorded it,
    /// or `nil` for an event that did not use it; the run's first event is
    /// its `run:created`. Removing the entry of a use that was not eligible
    /// removes nothing: no other event's entry has its sequence.
    func remove(
        dataclipId: ByteSlice, wipe: UInt64, _ context: ProjectionContext,
        use: (_ event: EventView, _ created: RunCreatedView) -> (key: [UInt8], time: Timestamp)?
    ) throws {
        try context.writeDeferred()  // this batch's inserts may hold the dataclip
        let run = try context.originRunEvents(ofDataclip: dataclipId)
        if case .runCreated(let created)? = run.first?.fields {
            // Later events of the run found the dataclip wiped and recorded nothing.
            for event in run where event.sequence < wipe {
                guard let found = use(event, created) else { continue }
                var key = found.key
                key.appendTime(found.time)
                key.appendBigEndian(event.sequence)
                try context.delete(entries, key)
            }
        }
        let prefix = Key.part(dataclipId)
        for indexKey in try context.keys(byDataclip, prefix: prefix) {
            try context.delete(entries, Array(indexKey.dropFirst(prefix.count)))
            try context.delete(byDataclip, indexKey)
        }
    }
}
