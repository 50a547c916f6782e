@testable public import EventLog
import LMDB

/// Writes a `workflow:published` the way a cairn from before id ownership
/// (issue #17, item 6) did: the event and the snapshot (the indexes behind
/// the log pick it up from the log, as another process's), with no check that its ids are free and nothing in `id_owners`. Data
/// folders written so can hold two workflows sharing a trigger, job or edge
/// id; tests build such folders with this to check how they are read and
/// migrated.
public enum LegacyPublish {
    /// Appends the publish of `workflowId` as the next snapshot of it;
    /// returns the event's sequence.
    @discardableResult
    public static func write(
        _ log: EventStore, workflowId: String, projectId: String, jobIds: [String], triggers: [TriggerSummary],
        document: [UInt8], at time: Timestamp = Timestamp(microseconds: 1_700_000_000_000_000)
    ) throws -> UInt64 {
        try log.environment.write { txn in
            let sequence = try log.lastSequence(txn) + 1
            let latest = try log.loadSnapshot(workflowId, lockVersion: nil, txn)
            let published = WorkflowPublished(
                workflowId: workflowId, projectId: projectId, lockVersion: (latest?.lockVersion ?? 0) + 1,
                deleted: false, jobIds: jobIds, triggers: triggers, document: document, timestamp: time)
            let event = Event.workflowPublished(published)
            let version = try log.streamVersion(event.stream, txn, log.index.view(txn))
            let id = EventID.random()
            let recorded = RecordedEvent(
                id: id, sequence: sequence, streamVersion: version + 1, recordedAt: time, event: event)
            let key = sequence.bigEndianBytes
            try txn.put(log.events, key: key, value: EventCodec.encode(recorded), flags: .append)
            let snapshot = StoredSnapshot(summary: published, contentHash: StoredSnapshot.hash(document))
            try txn.put(
                log.snapshots, key: StoredSnapshot.key(workflowId: workflowId, lockVersion: published.lockVersion),
                value: snapshot.encoded(), flags: .noOverwrite)
            return sequence
        }
    }
}
