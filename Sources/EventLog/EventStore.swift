public import LMDB
public import Encoding
import Foundation
import NIOConcurrencyHelpers
import JSON

/// The append-only log of docs/architecture.md, with its indexes, the dataclip store
/// and workflow snapshots, in one LMDB environment.
///
/// ```swift
/// let log = try EventStore(environment: env)
/// let outcome = try log.append([Submission(id: .random(), command: .startRun(runId: id, timestamp: nil))])
/// let run = try log.run(id)
/// ```
///
/// An append validates each command against the state its streams describe
/// and commits the event and any dataclip or snapshot it introduces in one
/// write transaction, or writes nothing for it. The log's indexes follow it
/// (`LogIndex`; docs/architecture.md, "The log first, its indexes behind it").
public final class EventStore: Sendable {
    public let environment: Environment
    let events: Database
    let snapshots: Database
    /// Token id → `StoredToken`; SHA-256 of a secret → token id; token id →
    /// when it was last used (coarse: see `noteTokenUse`).
    let tokens: Database
    let tokenHashes: Database
    let tokenUses: Database
    let index: LogIndex
    let idOwners: IdOwners
    /// What opening found when the folder was in the first layout (every
    /// index entry committed with its event); `nil` when it was not.
    public let layoutMigration: LogLayoutMigration?
    /// How many events opening indexed from the log (those above the index
    /// checkpoint), and how long that took.
    public let openCatchUp: (events: Int, seconds: Double)
    /// What opening found when it had to build the id ownership index (a
    /// folder written before it existed, or since by an older cairn); `nil`
    /// when it was up to date.
    public let idOwnershipMigration: IdOwnershipMigration?
    let clock: @Sendable () -> Timestamp
    let notifier = HeadNotifier()
    let cache = WriteCache()
    let committer: GroupCommitter
    /// Told of every group-commit transaction (`submit`, `append(_:) async`)
    /// just before its callers get their answers, on the committer's queue:
    /// keep it short (it delays them). The service sets it for its metrics; `nil` by default.
    public var groupCommitObserver: (@Sendable (GroupCommitReport) -> Void)? {
        get { commitObserver.withLockedValue { $0?.call } }
        set { commitObserver.withLockedValue { $0 = newValue.map(CommitObserver.init) } }
    }
    private let commitObserver = NIOLockedValueBox<CommitObserver?>(nil)

    /// The observer inside a struct, never as the box's value itself: a
    /// closure stored in a generic box is re-wrapped by a reabstraction
    /// thunk each time `withLockedValue` hands it out, because the thunk for
    /// the `inout` parameter writes the converted closure back. Read at
    /// every commit, it grew two calls deeper per commit until the
    /// committer's thread ran out of stack (docs/reliability.md, "The
    /// group-commit observer").
    private struct CommitObserver { let call: @Sendable (GroupCommitReport) -> Void }

    /// Opens (creating if missing) the log's databases, moves a folder of
    /// the first layout to this one, and indexes the events above the index
    /// checkpoint before it returns.
    /// - Parameters:
    ///   - clock: the time stamped on events as `recordedAt` (and their
    ///     timestamp when the payload gives none); injectable for tests.
    ///   - indexPolicy: when the indexes behind the log are flushed.
    ///   - progress: hears about long work while opening (a migration).
    public init(
        environment: Environment, clock: @escaping @Sendable () -> Timestamp = Timestamp.now,
        indexPolicy: IndexFlushPolicy = IndexFlushPolicy(), progress: (String) -> Void = { _ in }
    ) throws {
        self.environment = environment
        events = try environment.database("events")
        snapshots = try environment.database("snapshots")
        tokens = try environment.database("tokens")
        tokenHashes = try environment.database("token_hashes")
        tokenUses = try environment.database("token_uses")
        let index = try LogIndex(environment: environment, policy: indexPolicy)
        self.index = index
        let owners = IdOwners(database: try environment.database("id_owners"))
        idOwners = owners
        self.clock = clock
        committer = GroupCommitter()
        killAfterCommits = ProcessInfo.processInfo.environment["CAIRN_FAULT_KILL_AFTER_COMMITS"].flatMap { Int($0) }
        layoutMigration = environment.options.readOnly ? nil : try LogLayoutMigration.runIfNeeded(index, progress: progress)
        let started = DispatchTime.now()
        let before = index.currentStatistics.caughtUp
        _ = try environment.read { txn in try index.view(txn) }
        openCatchUp = (
            index.currentStatistics.caughtUp - before,
            Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        )
        // A read-only folder cannot be published to: nothing to check.
        idOwnershipMigration = environment.options.readOnly
            ? nil
            : try IdOwners.bringUpToDate(owners, environment: environment, events: events) { txn in
                let view = try index.view(txn)
                return try index.namedStreams(withPrefix: "workflow:", txn, view).flatMap { name in
                    try index.streamSequences(name, txn, view)
                }
            }
        notifier.head = try lastSequence()
        // Short-lived processes (the CLI) exit before a timed flush: when
        // opening had to index a flush's worth, it flushes now, so the work
        // left to the next open stays bounded.
        if !environment.options.readOnly && openCatchUp.events >= indexPolicy.flushEvents {
            try index.flush()
        }
        index.scheduleFlush()
    }

    /// Test hook (the fault point between a commit and the flush of its
    /// index entries): with `CAIRN_FAULT_KILL_AFTER_COMMITS=N` in the
    /// environment, the process kills itself (SIGKILL) right after its Nth
    /// append commits, before anything else happens.
    private let killAfterCommits: Int?
    private let commits = NIOLockedValueBox(0)

    // MARK: Appending

    /// Validates and records `submissions` in order, in one durable write
    /// transaction. Each gets its own outcome: a rejected one writes nothing
    /// and does not affect the others (later ones see earlier ones).
    public func append(_ submissions: [Submission]) throws -> [AppendOutcome] {
        let (outcomes, head) = try environment.write { txn in
            var writer = try BatchWriter(store: self, txn: txn, recordedAt: clock())
            let outcomes = try submissions.map { try writer.append($0) }
            return (outcomes, writer.finish())
        }
        if let limit = killAfterCommits, commits.withLockedValue({ $0 += 1; return $0 }) >= limit {
            kill(getpid(), SIGKILL)
        }
        // Committed: nothing from here may throw, or callers whose events
        // are durable would be told they failed and retry (a webhook's
        // second run). The head is the transaction's own, not a new read
        // (which can fail, e.g. with every reader slot taken).
        index.scheduleFlush()
        notifier.advance(to: head)
        return outcomes
    }

    // MARK: The indexes behind the log

    /// Writes the index entries of every event up to the head into LMDB now
    /// (they are otherwise flushed on the policy's terms); how many events.
    @discardableResult
    public func flushIndexes() throws -> Int {
        try index.flushNow()
    }

    /// What the indexes behind the log have done in this process.
    public var indexStatistics: IndexStatistics { index.currentStatistics }

    /// Tests only: forgets the index entries held in memory, as a crash
    /// between an append's commit and the flush of its entries would.
    package func dropIndexOverlay() { index.dropOverlay() }

    /// Tests only: the next flush writes its entries and then fails before
    /// it commits (the fault point between the log and its indexes).
    package func failNextIndexFlush() { index.failNextFlush() }

    /// Records one submission, batched with concurrent callers into one write
    /// transaction and one fsync (group commit).
    public func append(_ submission: Submission) async throws -> AppendOutcome {
        try await committer.submit([submission], to: self)[0]
    }

    /// Records `submissions` in order, in one write transaction shared with
    /// concurrent callers (group commit), off the caller's thread.
    public func submit(_ submissions: [Submission]) async throws -> [AppendOutcome] {
        try await committer.submit(submissions, to: self)
    }

    // MARK: Reading

    /// The sequence of the last event, 0 when the log is empty.
    public func lastSequence() throws -> UInt64 {
        try environment.read { txn in try lastSequence(txn) }
    }

    func lastSequence(_ txn: ReadTransaction) throws -> UInt64 { try index.lastSequence(txn) }

    /// Events with sequence in `from...`, at most `limit`, in order.
    public func events(from: UInt64, limit: Int = .max) throws -> [RecordedEvent] {
        var result: [RecordedEvent] = []
        try forEachEvent(from: from) { event in
            result.append(event)
            return result.count < limit
        }
        return result
    }

    /// Visits events from `from` on, in order, until `body` returns false.
    /// Reads in one transaction: a consistent view of the log at its start.
    public func forEachEvent(from: UInt64, _ body: (RecordedEvent) throws -> Bool) throws {
        try environment.read { txn in
            try txn.scan(events, in: KeyRange(from: max(from, 1).bigEndianBytes)) { key, value in
                guard let sequence = UInt64(bigEndianBytes: key) else { return false }
                return try body(try EventCodec.decode(Array(value), sequence: sequence))
            }
        }
    }

    /// Visits the raw encoded events from `from` on (for replay and benchmarks).
    public func forEachEncodedEvent(
        from: UInt64, _ body: (_ sequence: UInt64, _ bytes: UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        try environment.read { txn in
            try txn.scan(events, in: KeyRange(from: max(from, 1).bigEndianBytes)) { key, value in
                try body(UInt64(bigEndianBytes: key) ?? 0, value)
            }
        }
    }

    /// Visits raw encoded events with sequence >= `from` inside an existing
    /// transaction (projections read the log and write their state in one).
    public func scanEvents(
        _ txn: ReadTransaction, from: UInt64,
        _ body: (_ sequence: UInt64, _ bytes: UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        try txn.scan(events, in: KeyRange(from: max(from, 1).bigEndianBytes)) { key, value in
            try body(UInt64(bigEndianBytes: key) ?? 0, value)
        }
    }

    /// The last sequence, read inside an existing transaction.
    public func lastSequence(in txn: ReadTransaction) throws -> UInt64 { try lastSequence(txn) }

    /// The events of one stream (`run:<id>`, `project:<id>`, ...), in order.
    public func stream(_ name: String) throws -> [RecordedEvent] {
        try environment.read { txn in try readStream(name, txn) }
    }

    /// The first event of one stream, decoding no other (a run's stream may
    /// hold gigabytes of log lines).
    public func firstEvent(ofStream name: String) throws -> RecordedEvent? {
        try environment.read { txn in
            guard let sequence = try index.streamSequences(name, txn, index.view(txn)).first else { return nil }
            guard let bytes = try txn.get(events, key: sequence.bigEndianBytes) else {
                throw EventLogError.storage("stream \(name) points at missing event \(sequence)")
            }
            return try EventCodec.decode(bytes, sequence: sequence)
        }
    }

    func readStream(_ name: String, _ txn: ReadTransaction, _ view: LogIndex.View? = nil) throws -> [RecordedEvent] {
        let sequences = try index.streamSequences(name, txn, view ?? index.view(txn))
        return try sequences.map { sequence in
            guard let bytes = try txn.get(events, key: sequence.bigEndianBytes) else {
                throw EventLogError.storage("stream \(name) points at missing event \(sequence)")
            }
            return try EventCodec.decode(bytes, sequence: sequence)
        }
    }

    /// The events of the run whose event created dataclip `id`, in stream
    /// order, read in place inside `txn` (valid while it is): where a wipe
    /// finds the uses a run made of a dataclip it created, which carry
    /// `outputFromThisRun` or `finalFromThisRun`. Empty when the dataclip
    /// is unknown, was stored before the log recorded origins, or was not
    /// created by a run's event.
    public func originRunEvents(ofDataclip id: ByteSlice, in txn: ReadTransaction) throws -> [EventView] {
        let view = try index.view(txn)
        guard let dataclip = try loadDataclip(id.string, txn, view), let origin = dataclip.origin,
            let runId = try event(at: origin, txn).runId
        else { return [] }
        return try index.streamSequences("run:" + runId.string, txn, view).map { try event(at: $0, txn) }
    }

    /// The event at `sequence`, read in place inside `txn`.
    func event(at sequence: UInt64, _ txn: ReadTransaction) throws -> EventView {
        try EventCodec.view(index.event(at: sequence, txn), sequence: sequence)
    }

    /// The run `id` as its stream tells it, or `nil` if there is no such run.
    public func run(_ id: String) throws -> RunAggregate? {
        try environment.read { txn in try loadRun(id, txn) }
    }

    func loadRun(_ id: String, _ txn: ReadTransaction, _ view: LogIndex.View? = nil) throws -> RunAggregate? {
        let events = try readStream("run:" + id, txn, view)
        guard let first = events.first, var run = RunAggregate(first) else { return nil }
        for event in events.dropFirst() { run.apply(event) }
        return run
    }

    /// The run that step `stepId` belongs to, from the index the log keeps
    /// to check step events (written with each accepted `step:start`).
    public func runId(ofStep stepId: String) throws -> String? {
        try environment.read { txn in try index.runId(ofStep: stepId, txn, index.view(txn)) }
    }

    /// The workflow that owns job, trigger or edge id `id` (the first to
    /// publish it), or `nil` if no publish has used it.
    public func owner(ofId id: String) throws -> String? {
        try environment.read { txn in try idOwners.owner(of: id, txn) }
    }

    /// The dataclip `id`, or `nil`.
    public func dataclip(_ id: String) throws -> Dataclip? {
        try environment.read { txn in try loadDataclip(id, txn, index.view(txn)) }
    }

    /// Where a dataclip is kept: under the sequence of the event that
    /// created it, or (a folder of the first layout) by its id.
    enum DataclipPlace: Equatable {
        case record(UInt64)
        case legacy
    }

    /// Where dataclip `id` is kept, or `nil` when it does not exist.
    ///
    /// (Returning the dataclip and its place as an optional tuple, read
    /// through `?.`, came back corrupt from release builds of Swift 6.3 —
    /// a wrong origin, or a crash destroying the copy — while debug builds
    /// and AddressSanitizer saw nothing; the two are asked for separately.)
    func dataclipPlace(_ id: String, _ txn: ReadTransaction, _ view: LogIndex.View) throws -> DataclipPlace? {
        if let sequence = try index.dataclipSequence(id, txn, view) { return .record(sequence) }
        guard index.legacyDataclipsRemain, try txn.get(index.legacyDataclips, key: Array(id.utf8)) != nil else {
            return nil
        }
        return .legacy
    }

    func loadDataclip(_ id: String, at place: DataclipPlace, _ txn: ReadTransaction) throws -> Dataclip {
        switch place {
        case .record(let sequence):
            guard let bytes = try index.value(at: sequence, in: index.records, txn) else {
                throw EventLogError.storage("dataclip \(id) is indexed under event \(sequence), which has no record")
            }
            return try Dataclip.decodeRecord(bytes, sequence: sequence)
        case .legacy:
            guard let bytes = try txn.get(index.legacyDataclips, key: Array(id.utf8)) else {
                throw EventLogError.storage("dataclip \(id) left the first layout's table during a transaction")
            }
            return try Dataclip.decode(id: id, bytes)
        }
    }

    func loadDataclip(_ id: String, _ txn: ReadTransaction, _ view: LogIndex.View) throws -> Dataclip? {
        guard let place = try dataclipPlace(id, txn, view) else { return nil }
        return try loadDataclip(id, at: place, txn)
    }

    /// The snapshot of `workflowId` at `lockVersion`, or the latest when `nil`.
    public func snapshot(_ workflowId: String, lockVersion: UInt32? = nil) throws -> StoredSnapshot? {
        try environment.read { txn in try loadSnapshot(workflowId, lockVersion: lockVersion, txn) }
    }

    /// The latest snapshot of `workflowId` as `txn` — another writer's
    /// transaction in this environment — sees it: for a check that must
    /// hold where that writer writes (`Store.appendDocument`).
    public func latestSnapshot(_ workflowId: String, in txn: ReadTransaction) throws -> StoredSnapshot? {
        try loadSnapshot(workflowId, lockVersion: nil, txn)
    }

    func loadSnapshot(_ workflowId: String, lockVersion: UInt32?, _ txn: ReadTransaction) throws -> StoredSnapshot? {
        if let lockVersion {
            return try txn.get(snapshots, key: StoredSnapshot.key(workflowId: workflowId, lockVersion: lockVersion))
                .map(StoredSnapshot.decode)
        }
        var latest: [UInt8]?
        try txn.scan(snapshots, in: .prefix(Array(workflowId.utf8) + [0]), reverse: true) { _, value in
            latest = Array(value)
            return false
        }
        return try latest.map(StoredSnapshot.decode)
    }

    /// The ids of every configured project.
    public func projectIds() throws -> [String] {
        try environment.read { txn in
            try index.namedStreams(withPrefix: "project:", txn, index.view(txn)).map { String($0.dropFirst(8)) }
        }
    }

    /// The id of every workflow ever published (deleted ones too), from the
    /// streams index: one name a workflow, no scan of the log.
    public func workflowIds() throws -> [String] {
        try environment.read { txn in
            try index.namedStreams(withPrefix: "workflow:", txn, index.view(txn)).map { String($0.dropFirst(9)) }
        }
    }

    /// The latest `project:configured` of a project, or `nil` if never configured.
    public func project(_ id: String) throws -> ProjectConfigured? {
        try environment.read { txn in try loadProject(id, txn) }
    }

    func loadProject(_ id: String, _ txn: ReadTransaction, _ view: LogIndex.View? = nil) throws -> ProjectConfigured? {
        guard let sequence = try index.lastOfStream("project:" + id, txn, view ?? index.view(txn))?.sequence else {
            return nil
        }
        guard let bytes = try txn.get(events, key: sequence.bigEndianBytes),
            case .projectConfigured(let project) = try EventCodec.decode(bytes, sequence: sequence).event
        else { return nil }
        return project
    }

    /// The stream's current version (0 when empty).
    func streamVersion(_ name: String, _ txn: ReadTransaction, _ view: LogIndex.View) throws -> UInt32 {
        try index.lastOfStream(name, txn, view)?.version ?? 0
    }

    // MARK: Subscribing

    /// Every event from `sequence` on: first those already in the log, then
    /// each new one as it is committed. Ends when the consumer stops iterating.
    public func subscribe(from sequence: UInt64) -> AsyncThrowingStream<RecordedEvent, any Error> {
        let (heads, token) = notifier.register()
        return AsyncThrowingStream { continuation in
            let task = Task {
                var next = max(sequence, 1)
                do {
                    var headIterator = heads.makeAsyncIterator()
                    while !Task.isCancelled {
                        // Catch up in bounded chunks, then wait for the head to move.
                        let chunk = try self.events(from: next, limit: 1_024)
                        for event in chunk {
                            continuation.yield(event)
                            next = event.sequence + 1
                        }
                        if chunk.count == 1_024 { continue }
                        if try self.lastSequence() >= next { continue }
                        guard await headIterator.next() != nil else { break }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in
                task.cancel()
                self.notifier.unregister(token)
            }
        }
    }
}
