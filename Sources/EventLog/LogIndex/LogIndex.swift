public import Dispatch
import Encoding
import Foundation
import LMDB

/// The log's indexes, kept behind it (docs/architecture.md, "The log first,
/// its indexes behind it"): `event_ids` (id → sequence), `streams` (stream
/// and version → sequence), `step_runs` (step → run) and `dataclip_ids`
/// (dataclip → the sequence its record is kept under).
///
/// An append writes only the log's sequential keys: the event, and the
/// record of a dataclip it creates. Its index entries go into memory (the
/// overlay, `LogIndexOverlay`); a flush writes the entries of everything up
/// to the log's head into LMDB in key order, in one transaction with the
/// new index checkpoint. Every lookup reads LMDB for the events up to the
/// checkpoint its transaction sees and the overlay above it, so it finds
/// what a lookup in a fully written index would.
///
/// The log is the only truth: a process that opens the folder, or finds
/// events it did not write (another process's), indexes them from the log
/// into its overlay before it answers, and a crash loses nothing but
/// overlay, which the next open rebuilds from the checkpoint.
final class LogIndex: @unchecked Sendable {
    let environment: Environment
    let events: Database
    /// Dataclip records by the sequence of the event that created them.
    let records: Database
    let eventIds: Database
    let streams: Database
    let stepRuns: Database
    let dataclipIds: Database
    /// The first layout's dataclips by id; after the migration, only those
    /// whose creating event it could not find (none, in a folder this code wrote).
    let legacyDataclips: Database
    /// The index checkpoint and the layout.
    let state: Database
    let policy: IndexFlushPolicy

    static let checkpointKey = Array("checkpoint".utf8)

    private let lock = NSLock()
    private var overlay = LogIndexOverlay(checkpoint: 0)
    /// The head an open write transaction of this process started from:
    /// entries above it are not committed yet.
    private var pendingFrom: UInt64?
    /// Whether a flush is queued or running.
    private var flushQueued = false
    /// Whether a flush is due at the end of the interval.
    private var timerArmed = false
    private var flushFault = false
    private var statistics = IndexStatistics()
    /// Whether `legacyDataclips` holds anything (read at open).
    let legacyDataclipsRemain: Bool
    private let flusher = DispatchQueue(label: "cairn.eventlog.index-flush")

    init(environment: Environment, policy: IndexFlushPolicy) throws {
        self.environment = environment
        self.policy = policy
        events = try environment.database("events")
        records = try environment.database("dataclip_records")
        eventIds = try environment.database("event_ids")
        streams = try environment.database("streams")
        stepRuns = try environment.database("step_runs")
        dataclipIds = try environment.database("dataclip_ids")
        legacyDataclips = try environment.database("dataclips")
        state = try environment.database("log_index")
        let legacy = legacyDataclips
        legacyDataclipsRemain = try environment.read { txn in
            try txn.withCursor(legacy) { cursor in try cursor.first() != nil }
        }
    }

    /// What a lookup reads: LMDB's indexes up to `checkpoint`, the overlay
    /// (or, where a flush has since dropped it, the log) above it, up to `head`.
    struct View {
        var checkpoint: UInt64
        var head: UInt64
    }

    func checkpoint(_ txn: ReadTransaction) throws -> UInt64? {
        try txn.get(state, key: Self.checkpointKey).flatMap { UInt64(bigEndianBytes: $0) }
    }

    func lastSequence(_ txn: ReadTransaction) throws -> UInt64 {
        try txn.withCursor(events) { cursor in try cursor.last().flatMap { UInt64(bigEndianBytes: $0.key) } ?? 0 }
    }

    /// The view of a reader's transaction; indexes first any events the
    /// overlay has not seen (another process's).
    func view(_ txn: ReadTransaction) throws -> View {
        let head = try lastSequence(txn)
        // No checkpoint: a folder of the first layout opened read-only, whose indexes are whole.
        let checkpoint = try self.checkpoint(txn) ?? head
        try lock.withLock { try catchUp(txn, to: head, checkpoint: checkpoint) }
        return View(checkpoint: checkpoint, head: head)
    }

    /// Brings the overlay up to `head`. Called with the lock held.
    private func catchUp(_ txn: ReadTransaction, to head: UInt64, checkpoint: UInt64) throws {
        // Only a damaged folder has indexes past its log; reading on would
        // count events from there (a trap, not an error).
        guard checkpoint <= head else {
            throw EventLogError.storage(
                "the indexes are checkpointed at event \(checkpoint) but the log ends at \(head): the data folder is damaged")
        }
        // Another process flushed: what it wrote can go, as this process's own flushes' entries do.
        if checkpoint > overlay.flushedThrough { overlay.markFlushed(through: checkpoint) }
        guard overlay.through < head else { return }
        if overlay.through < checkpoint { overlay = LogIndexOverlay(checkpoint: checkpoint) }
        let from = overlay.through + 1
        // A hint only: a stray key far past the last event (a damaged
        // folder) must reach the gap check below, not a huge allocation.
        overlay.reserveCapacity(Int(min(head - overlay.through, 1 << 20)))
        var recordHashes: [(sequence: UInt64, hash: UInt64)] = []
        try txn.scan(records, in: KeyRange(from: from.bigEndianBytes)) { key, value in
            guard let sequence = UInt64(bigEndianBytes: key), sequence <= head else { return false }
            recordHashes.append((sequence, LogIndexOverlay.hash(try Dataclip.recordId(value, sequence: sequence))))
            return true
        }
        var nextRecord = 0
        try txn.scan(events, in: KeyRange(from: from.bigEndianBytes)) { key, value in
            guard let sequence = UInt64(bigEndianBytes: key), sequence <= head else { return false }
            guard sequence == overlay.through + 1 else {
                throw EventLogError.storage("the log skips from event \(overlay.through) to \(sequence)")
            }
            let keys = try IndexKeys(value, sequence: sequence)
            while nextRecord < recordHashes.count && recordHashes[nextRecord].sequence < sequence { nextRecord += 1 }
            let record = nextRecord < recordHashes.count && recordHashes[nextRecord].sequence == sequence
                ? recordHashes[nextRecord].hash : nil
            overlay.add(LogIndexOverlay.Entry(
                sequence: sequence, eventId: keys.id, streamHash: LogIndexOverlay.hash(keys.stream),
                namedStream: LogIndexOverlay.isNamed(keys.stream) ? String(decoding: keys.stream, as: UTF8.self) : nil,
                stepHash: keys.stepId.map(LogIndexOverlay.hash), dataclipHash: record))
            return true
        }
        statistics.caughtUp += Int(overlay.through - (from - 1))
        statistics.peak = max(statistics.peak, overlay.count)
    }

    // MARK: The writer

    /// Starts a write transaction's use of the index: drops what an earlier
    /// attempt left uncommitted, catches up, and remembers where this one began.
    func beginWrite(_ txn: WriteTransaction) throws -> View {
        let head = try lastSequence(txn)
        let checkpoint = try self.checkpoint(txn) ?? head
        try lock.withLock {
            overlay.truncate(to: head)
            try catchUp(txn, to: head, checkpoint: checkpoint)
            pendingFrom = head
        }
        txn.afterCommit { [self] in lock.withLock { pendingFrom = nil } }
        // Under the writer lock, before another write of this process begins
        // (and, unless the commit failed, before another process can write).
        txn.afterAbort { [self] in abandonWrite() }
        return View(checkpoint: checkpoint, head: head)
    }

    /// A write transaction that `beginWrite` started did not commit.
    private func abandonWrite() {
        lock.withLock {
            if let start = pendingFrom { overlay.truncate(to: start) }
            pendingFrom = nil
        }
    }

    /// Records the keys of the event just written at `sequence`.
    func add(sequence: UInt64, eventId: EventID, stream: String, stepId: String?, dataclipId: String?) {
        var stream = stream
        let (hash, named) = stream.withUTF8 { bytes in
            let raw = UnsafeRawBufferPointer(bytes)
            return (LogIndexOverlay.hash(raw), LogIndexOverlay.isNamed(raw))
        }
        let entry = LogIndexOverlay.Entry(
            sequence: sequence, eventId: eventId, streamHash: hash, namedStream: named ? stream : nil,
            stepHash: stepId.map(LogIndexOverlay.hash), dataclipHash: dataclipId.map(LogIndexOverlay.hash))
        lock.withLock {
            overlay.add(entry)
            statistics.peak = max(statistics.peak, overlay.count)
        }
    }

    // MARK: Lookups

    /// The overlay's candidates for a key, and where the overlay begins.
    private func candidates(
        _ chain: LogIndexOverlay.Chain, _ key: String, _ view: View, limit: Int = .max
    ) -> (sequences: [UInt64], base: UInt64) {
        let hash = LogIndexOverlay.hash(key)
        return lock.withLock {
            (overlay.candidates(chain, hash: hash, above: view.checkpoint, through: view.head, limit: limit), overlay.base)
        }
    }

    /// Visits the events above the checkpoint that the overlay no longer
    /// holds: a flush committed after this transaction began and dropped
    /// them. Rare (a long reader), and bounded by one flush's events.
    private func scanGap(
        _ txn: ReadTransaction, _ view: View, base: UInt64, _ body: (UInt64, UnsafeRawBufferPointer) throws -> Void
    ) throws {
        guard view.checkpoint < base else { return }
        let upper = min(base, view.head)
        try txn.scan(events, in: KeyRange(from: (view.checkpoint + 1).bigEndianBytes)) { key, value in
            guard let sequence = UInt64(bigEndianBytes: key), sequence <= upper else { return false }
            try body(sequence, value)
            return true
        }
    }

    /// The value under `sequence` in `db` (the log, the records), read in place.
    func value(at sequence: UInt64, in db: Database, _ txn: ReadTransaction) throws -> UnsafeRawBufferPointer? {
        try withUnsafeBytes(of: sequence.bigEndian) { key in try txn.get(db, key: key) }
    }

    /// The stored event at `sequence`, read in place; an error when the log has none.
    func event(at sequence: UInt64, _ txn: ReadTransaction) throws -> UnsafeRawBufferPointer {
        guard let bytes = try value(at: sequence, in: events, txn) else {
            throw EventLogError.storage("the log has no event \(sequence)")
        }
        return bytes
    }

    /// The sequence of the event with id `id`, or `nil`.
    func sequence(ofEvent id: EventID, _ txn: ReadTransaction, _ view: View) throws -> UInt64? {
        let (hit, base) = lock.withLock {
            (overlay.sequence(ofEvent: id, above: view.checkpoint, through: view.head), overlay.base)
        }
        // Checked against the log like every other entry: cheap (a hit is a
        // re-sent event), and it keeps a stale entry from ever answering.
        if let hit, try IndexKeys(try event(at: hit, txn), sequence: hit).id == id { return hit }
        var found: UInt64?
        try scanGap(txn, view, base: base) { sequence, bytes in
            if found == nil, try IndexKeys(bytes, sequence: sequence).id == id { found = sequence }
        }
        if let found { return found }
        return try txn.get(eventIds, key: id.bytes).flatMap { UInt64(bigEndianBytes: $0) }
    }

    /// The sequences of the events of stream `name`, in stream order.
    func streamSequences(_ name: String, _ txn: ReadTransaction, _ view: View) throws -> [UInt64] {
        var sequences: [UInt64] = []
        try txn.scan(streams, in: .prefix(Self.streamPrefix(name))) { _, value in
            sequences.append(UInt64(bigEndianBytes: value) ?? 0)
            return true
        }
        let (candidates, base) = candidates(.stream, name, view)
        let wanted = Array(name.utf8)
        try scanGap(txn, view, base: base) { sequence, bytes in
            if try IndexKeys(bytes, sequence: sequence).stream.elementsEqual(wanted) { sequences.append(sequence) }
        }
        for sequence in candidates.reversed()
        where try IndexKeys(try event(at: sequence, txn), sequence: sequence).stream.elementsEqual(wanted) {
            sequences.append(sequence)
        }
        return sequences
    }

    /// The last event of stream `name` and its version, or `nil` for an empty stream.
    func lastOfStream(_ name: String, _ txn: ReadTransaction, _ view: View) throws -> (sequence: UInt64, version: UInt32)? {
        let wanted = Array(name.utf8)
        // The latest event of the chain is the stream's own but for a hash
        // collision: a long stream (the scheduler's) is not walked for it.
        var (candidates, base) = candidates(.stream, name, view, limit: 1)
        if let latest = candidates.first,
            try !IndexKeys(try event(at: latest, txn), sequence: latest).stream.elementsEqual(wanted)
        {
            (candidates, base) = self.candidates(.stream, name, view)
        }
        for sequence in candidates {
            let keys = try IndexKeys(try event(at: sequence, txn), sequence: sequence)
            if keys.stream.elementsEqual(wanted) { return (sequence, keys.streamVersion) }
        }
        var last: (UInt64, UInt32)?
        try scanGap(txn, view, base: base) { sequence, bytes in
            let keys = try IndexKeys(bytes, sequence: sequence)
            if keys.stream.elementsEqual(wanted) { last = (sequence, keys.streamVersion) }
        }
        if let last { return last }
        try txn.scan(streams, in: .prefix(Self.streamPrefix(name)), reverse: true) { key, value in
            let version = UInt32(bigEndianBytes: UnsafeRawBufferPointer(rebasing: key[(key.count - 4)...])) ?? 0
            last = (UInt64(bigEndianBytes: value) ?? 0, version)
            return false
        }
        return last
    }

    /// The run step `stepId` was started in, or `nil`.
    func runId(ofStep stepId: String, _ txn: ReadTransaction, _ view: View) throws -> String? {
        let wanted = Array(stepId.utf8)
        let (candidates, base) = candidates(.step, stepId, view)
        for sequence in candidates {
            let keys = try IndexKeys(try event(at: sequence, txn), sequence: sequence)
            if let step = keys.stepId, step.elementsEqual(wanted), let run = keys.runId {
                return String(decoding: run, as: UTF8.self)
            }
        }
        var found: String?
        try scanGap(txn, view, base: base) { sequence, bytes in
            let keys = try IndexKeys(bytes, sequence: sequence)
            if found == nil, let step = keys.stepId, step.elementsEqual(wanted), let run = keys.runId {
                found = String(decoding: run, as: UTF8.self)
            }
        }
        if let found { return found }
        return try txn.get(stepRuns, key: wanted).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The sequence dataclip `id`'s record is kept under, or `nil`.
    func dataclipSequence(_ id: String, _ txn: ReadTransaction, _ view: View) throws -> UInt64? {
        let wanted = Array(id.utf8)
        let (candidates, base) = candidates(.dataclip, id, view)
        for sequence in candidates {
            if let record = try value(at: sequence, in: records, txn),
                try Dataclip.recordId(record, sequence: sequence).elementsEqual(wanted)
            {
                return sequence
            }
        }
        if view.checkpoint < base {
            var found: UInt64?
            let upper = min(base, view.head)
            try txn.scan(records, in: KeyRange(from: (view.checkpoint + 1).bigEndianBytes)) { key, value in
                guard let sequence = UInt64(bigEndianBytes: key), sequence <= upper else { return false }
                if try Dataclip.recordId(value, sequence: sequence).elementsEqual(wanted) { found = sequence }
                return found == nil
            }
            if let found { return found }
        }
        return try txn.get(dataclipIds, key: wanted).flatMap { UInt64(bigEndianBytes: $0) }
    }

    /// The names of the project or workflow streams starting with `prefix`, sorted.
    func namedStreams(withPrefix prefix: String, _ txn: ReadTransaction, _ view: View) throws -> [String] {
        var names = Set<String>()
        try txn.scan(streams, in: .prefix(Array(prefix.utf8))) { key, _ in
            guard let end = key.firstIndex(of: 0) else { return true }
            names.insert(String(decoding: key[..<end], as: UTF8.self))
            return true
        }
        let (listed, base) = lock.withLock {
            (overlay.namedStreams(withPrefix: prefix, above: view.checkpoint, through: view.head), overlay.base)
        }
        names.formUnion(listed)
        let wanted = Array(prefix.utf8)
        try scanGap(txn, view, base: base) { sequence, bytes in
            let stream = try IndexKeys(bytes, sequence: sequence).stream
            if stream.starts(with: wanted) { names.insert(String(decoding: stream, as: UTF8.self)) }
        }
        return names.sorted()
    }

    static func streamPrefix(_ name: String) -> [UInt8] { Array(name.utf8) + [0] }

    // MARK: Flushing

    /// Writes the index entries of every event up to the log's head into
    /// LMDB, key-sorted, with the new checkpoint in the same transaction;
    /// then drops them from the overlay. The entries are read from the log
    /// and sorted before the write transaction begins, so appends wait only
    /// for the writing. Returns how many events it indexed.
    @discardableResult
    func flush() throws -> Int {
        let deferred = DeferredWrites()
        let (checkpoint, head) = try environment.read { txn -> (UInt64, UInt64) in
            let head = try lastSequence(txn)
            let checkpoint = try self.checkpoint(txn) ?? head
            if head > checkpoint { try gather(txn, above: checkpoint, through: head, into: deferred) }
            return (checkpoint, head)
        }
        guard head > checkpoint else {
            lock.withLock { overlay.markFlushed(through: checkpoint) }
            return 0
        }
        deferred.sort()
        let written = try environment.write { txn -> Bool in
            // Another process flushed meanwhile: what it wrote covers some of
            // this; the next flush starts from its checkpoint.
            guard try self.checkpoint(txn) == checkpoint else { return false }
            // Kept, not consumed: `environment.write` runs this again after growing a full map.
            try deferred.write(txn, [eventIds, streams, stepRuns, dataclipIds], keep: true)
            try txn.put(state, key: Self.checkpointKey, value: head.bigEndianBytes)
            if lock.withLock({ () -> Bool in defer { flushFault = false }; return flushFault }) {
                throw EventLogError.storage("injected fault: the index flush failed before its commit")
            }
            return true
        }
        guard written else { return 0 }
        // Outside the write lock: until it runs, readers skip these entries
        // (they are at or below the checkpoint every new transaction sees).
        lock.withLock {
            overlay.markFlushed(through: head)
            statistics.flushes += 1
            statistics.flushed += Int(head - checkpoint)
        }
        return Int(head - checkpoint)
    }

    /// The index entries of the events in `lower + 1 ... upper`, from the log.
    private func gather(_ txn: ReadTransaction, above lower: UInt64, through upper: UInt64, into deferred: DeferredWrites) throws {
        let from = (lower + 1).bigEndianBytes
        try txn.scan(events, in: KeyRange(from: from)) { key, value in
            guard let sequence = UInt64(bigEndianBytes: key), sequence <= upper else { return false }
            let keys = try IndexKeys(value, sequence: sequence)
            let id = keys.id.bytes
            deferred.add(IndexTable.eventIds, key: { $0.append(bytes: id) }, value: { $0.appendBigEndian(sequence) })
            deferred.add(
                IndexTable.streams,
                key: { builder in
                    builder.appendRaw(keys.stream)
                    builder.appendByte(0)
                    let version = keys.streamVersion.bigEndian
                    withUnsafeBytes(of: version) { bytes in builder.appendRaw(bytes) }
                }, value: { $0.appendBigEndian(sequence) })
            if let step = keys.stepId, let run = keys.runId {
                deferred.add(IndexTable.stepRuns, key: { $0.appendRaw(step) }, value: { $0.appendRaw(run) })
            }
            return true
        }
        try txn.scan(records, in: KeyRange(from: from)) { key, value in
            guard let sequence = UInt64(bigEndianBytes: key), sequence <= upper else { return false }
            let id = try Dataclip.recordId(value, sequence: sequence)
            deferred.add(IndexTable.dataclipIds, key: { $0.appendRaw(id) }, value: { $0.appendBigEndian(sequence) })
            return true
        }
    }

    /// The order of the tables `gather` fills, as `flush` hands them to `DeferredWrites`.
    private enum IndexTable {
        static let eventIds = 0
        static let streams = 1
        static let stepRuns = 2
        static let dataclipIds = 3
    }

    /// After a commit: queues a flush when the overlay has reached the
    /// policy's size, or arms one for its interval after the first unflushed event.
    func scheduleFlush() {
        enum Plan { case none, now, later }
        let plan = lock.withLock { () -> Plan in
            let count = overlay.unflushedCount
            guard count > 0, !flushQueued else { return .none }
            if count >= policy.flushEvents {
                flushQueued = true
                return .now
            }
            if case .never = policy.flushInterval { return .none }
            guard !timerArmed else { return .none }
            timerArmed = true
            return .later
        }
        switch plan {
        case .none: return
        case .now:
            flusher.async { [weak self] in self?.runScheduledFlush() }
        case .later:
            flusher.asyncAfter(deadline: .now() + policy.flushInterval) { [weak self] in
                guard let self else { return }
                let queued = lock.withLock { () -> Bool in
                    timerArmed = false
                    if flushQueued { return false }
                    flushQueued = true
                    return true
                }
                if queued { runScheduledFlush() }
            }
        }
    }

    private func runScheduledFlush() {
        do {
            try flush()
            lock.withLock { statistics.lastFlushError = nil }
        } catch {
            // The overlay keeps the entries; the next commit schedules another try.
            lock.withLock { statistics.lastFlushError = String(describing: error) }
        }
        lock.withLock { flushQueued = false }
    }

    /// Flushes now, on the flusher's queue (after any flush queued there).
    func flushNow() throws -> Int {
        try flusher.sync { try flush() }
    }

    var currentStatistics: IndexStatistics {
        lock.withLock {
            var result = statistics
            result.unflushed = overlay.unflushedCount
            return result
        }
    }

    /// Tests: the next flush fails after writing, before it commits.
    func failNextFlush() { lock.withLock { flushFault = true } }

    /// Forgets the overlay, as a crash would (tests: the fault point between
    /// the log's commit and the index's flush).
    func dropOverlay() {
        lock.withLock {
            overlay = LogIndexOverlay(checkpoint: overlay.base)
            pendingFrom = nil
        }
    }
}

/// When the overlay is flushed: at `flushEvents` events, or `flushInterval`
/// after the first one it holds, whichever comes first. The events above
/// the checkpoint are what a process indexes from the log when it opens the
/// folder, so these also bound that work after a crash.
public struct IndexFlushPolicy: Sendable {
    public var flushEvents: Int
    public var flushInterval: DispatchTimeInterval

    public init(flushEvents: Int = 100_000, flushInterval: DispatchTimeInterval = .milliseconds(1_000)) {
        self.flushEvents = flushEvents
        self.flushInterval = flushInterval
    }

    /// Flushes only when asked (`EventStore.flushIndexes`): tests and benchmarks that measure the overlay.
    public static let manual = IndexFlushPolicy(flushEvents: .max, flushInterval: .never)
}

/// What the index behind the log has done in this process.
public struct IndexStatistics: Sendable, Equatable {
    /// Events indexed from the log rather than by this process's appends (opening, other processes).
    public var caughtUp = 0
    /// The most events the overlay held at once.
    public var peak = 0
    public var flushes = 0
    public var flushed = 0
    /// Events above the checkpoint now.
    public var unflushed = 0
    public var lastFlushError: String?
}
