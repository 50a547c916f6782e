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
/// first layout, and the next open starts again. Only ids are held in
/// memory; each dataclip is read from the map and written once.
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
            // Without a checkpoint the new tables must be empty: records with
            // no checkpoint are a damaged folder, not the first layout.
            for table in [index.records, index.dataclipIds] where try txn.withCursor(table, { try $0.first() != nil }) {
                throw EventLogError.storage(
                    "the log's index checkpoint is missing while dataclip records exist: the folder is damaged; "
                        + "restore it from a backup")
            }
            let head = try index.lastSequence(txn)
            try txn.put(index.state, key: LogIndex.checkpointKey, value: head.bigEndianBytes)

            // Headers first (bodies stay in the map): which dataclips have no recorded origin.
            var unknown = Set<String>()
            var count = 0
            try txn.scan(index.legacyDataclips) { key, value in
                count += 1
                let id = String(decoding: key, as: UTF8.self)
                if let dataclip = try? Dataclip.decode(id: id, Array(value)), dataclip.origin == nil { unknown.insert(id) }
                return true
            }
            if head == 0 && count == 0 { return nil }

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
            // Each dataclip is read and written once; only ids stay in memory.
            var taken = Set<UInt64>()
            var moved: [[UInt8]] = []
            var left = 0
            try txn.scan(index.legacyDataclips) { key, value in
                let id = String(decoding: key, as: UTF8.self)
                // One that does not decode stays where it is: only its own lookup fails, as before.
                guard var dataclip = try? Dataclip.decode(id: id, Array(value)),
                    let sequence = dataclip.origin ?? creators[id], sequence >= 1, sequence <= head,
                    taken.insert(sequence).inserted
                else {
                    left += 1
                    return true
                }
                dataclip.origin = sequence
                try txn.put(index.records, key: sequence.bigEndianBytes, value: dataclip.record())
                try txn.put(index.dataclipIds, key: Array(key), value: sequence.bigEndianBytes)
                moved.append(Array(key))
                return true
            }
            for key in moved { _ = try txn.delete(index.legacyDataclips, key: key) }
            return LogLayoutMigration(head: head, dataclipsMoved: moved.count, dataclipsLeft: left, eventsScanned: scanned)
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
