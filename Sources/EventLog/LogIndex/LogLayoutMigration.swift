import Foundation
import LMDB

/// Opening a data folder written by the first layout, where every index
/// entry and each dataclip (by id, in `dataclips`) committed with its event.
/// Its `event_ids`, `streams` and `step_runs` are whole, so they stay, and
/// the index checkpoint starts at the log's head. Each dataclip moves into
/// `dataclip_records` under the sequence of the event that created it (its
/// recorded origin, or else the first event that names it as created), and
/// `dataclip_ids` indexes it. A dataclip no event created (none, in a folder
/// cairn wrote) stays where it was, and lookups still find it there.
///
/// Runs once, in one write transaction: a crash in the middle leaves the
/// first layout, and the next open starts again.
public struct LogLayoutMigration: Sendable, Equatable, CustomStringConvertible {
    /// The log's head: the index checkpoint the folder starts from.
    public var head: UInt64
    public var dataclipsMoved: Int
    /// Dataclips left in the first layout's table (no creating event found).
    public var dataclipsLeft: Int
    /// Events read to find the creators of dataclips without a recorded origin.
    public var eventsScanned: UInt64

    public var description: String {
        var text = "moved this folder to the layout where the log is written first and its indexes follow it "
            + "(index checkpoint at event \(head)): \(dataclipsMoved) dataclip(s) now kept by the event that created them"
        if eventsScanned > 0 { text += ", \(eventsScanned) events read to find their creators" }
        if dataclipsLeft > 0 { text += "; \(dataclipsLeft) with no creating event stay in the old table" }
        return text
    }

    /// Migrates `index`'s folder if it has no index checkpoint yet; `nil`
    /// when it had one. A folder with no events and no dataclips (a new one)
    /// just gets its checkpoint. `progress` hears about long scans.
    static func runIfNeeded(_ index: LogIndex, progress: (String) -> Void) throws -> LogLayoutMigration? {
        let current = try index.environment.read { txn in try index.checkpoint(txn) }
        if current != nil { return nil }
        return try index.environment.write { txn -> LogLayoutMigration? in
            // Another process may have migrated meanwhile.
            if try index.checkpoint(txn) != nil { return nil }
            let head = try index.lastSequence(txn)
            var legacy: [(id: String, dataclip: Dataclip)] = []
            try txn.scan(index.legacyDataclips) { key, value in
                let id = String(decoding: key, as: UTF8.self)
                legacy.append((id, try Dataclip.decode(id: id, Array(value))))
                return true
            }
            try txn.put(index.state, key: LogIndex.checkpointKey, value: head.bigEndianBytes)
            if head == 0 && legacy.isEmpty { return nil }

            let unknown = Set(legacy.filter { $0.dataclip.origin == nil }.map(\.id))
            var creators: [String: UInt64] = [:]
            var scanned: UInt64 = 0
            if !unknown.isEmpty {
                try txn.scan(index.events) { key, value in
                    guard let sequence = UInt64(bigEndianBytes: key) else { return false }
                    scanned += 1
                    if scanned % 1_000_000 == 0 {
                        progress("finding the events that created \(unknown.count) dataclips: \(scanned) of \(head) events read")
                    }
                    for id in try Self.createdDataclips(EventCodec.view(value, sequence: sequence))
                    where unknown.contains(id) && creators[id] == nil {
                        creators[id] = sequence
                    }
                    return true
                }
            }
            var moved: [(sequence: UInt64, dataclip: Dataclip)] = []
            var left: [Dataclip] = []
            var taken = Set<UInt64>()
            for (id, dataclip) in legacy {
                if let sequence = dataclip.origin ?? creators[id], sequence <= head, taken.insert(sequence).inserted {
                    moved.append((sequence, dataclip))
                } else {
                    left.append(dataclip)
                }
            }
            // `legacy` is in id order, the order of `dataclip_ids`.
            for (sequence, dataclip) in moved {
                try txn.put(index.dataclipIds, key: Array(dataclip.id.utf8), value: sequence.bigEndianBytes)
            }
            for (sequence, dataclip) in moved.sorted(by: { $0.sequence < $1.sequence }) {
                var record = dataclip
                record.origin = sequence
                try txn.put(index.records, key: sequence.bigEndianBytes, value: record.record(), flags: .append)
            }
            try txn.clear(index.legacyDataclips)
            for dataclip in left {
                try txn.put(index.legacyDataclips, key: Array(dataclip.id.utf8), value: dataclip.encoded())
            }
            return LogLayoutMigration(head: head, dataclipsMoved: moved.count, dataclipsLeft: left.count, eventsScanned: scanned)
        }
    }

    /// The dataclips an event of the first layout may have created: a run's
    /// new input, a step's output, a run's final state. The first event of
    /// the log to name one is the one that created it.
    static func createdDataclips(_ view: EventView) -> [String] {
        switch view.fields {
        case .runCreated(let e): return e.createdInput ? [e.inputDataclipId.string] : []
        case .stepCompleted(let e): return e.outputDataclipId.map { [$0.string] } ?? []
        case .runCompleted(let e): return e.createdFinalDataclip ? (e.finalDataclipId.map { [$0.string] } ?? []) : []
        default: return []
        }
    }
}
