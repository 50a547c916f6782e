public import LMDB
public import Foundation
public import EventLog
public import Projections
import NIOConcurrencyHelpers

/// One Cairn data folder: an LMDB environment and the databases of
/// docs/architecture.md. Open one per folder per process and share it.
///
/// The one façade of the engine: the CLI and the service read and write
/// through its methods (`Store+*.swift`) only. Its parts (the log, the
/// projections, the documents, the environment) are `package`: tests and
/// nothing else reach them.
public final class Store: Sendable {
    /// The on-disk format this build writes. A folder with a newer format is
    /// refused; an older one is raised to this on open. 2: the log first, its
    /// indexes behind it (docs/architecture.md): a cairn of format 1 would
    /// write index entries and dataclips where this layout does not look.
    /// 3: tokens (`token:created`, `token:revoked`) and publishes naming who
    /// published: a cairn of format 2 would not read them, and would serve
    /// an open API from a folder whose tokens it does not know.
    public static let formatVersion: UInt32 = 3

    package let environment: Environment
    public let path: String
    let meta: Database
    /// Webhook trigger id → SHA-256 of the key its requests must carry (`Store+WebhookKeys`).
    let webhookKeys: Database
    /// The event log, dataclips and snapshots.
    package let log: EventStore
    /// What readers ask: runs, cursors, the cron index.
    package let projections: Projections
    /// Workflow documents (Yjs updates).
    package let documents: DocumentStore
    /// A secret of this folder mixed into ids derived from content (worker
    /// events sent without an id), so no client can compute another's event
    /// id and take it first. Empty for folders made before it existed: their
    /// derived ids stay what they were, so ingesting an old file again still
    /// finds its events as duplicates.
    public let eventIdSalt: String
    /// A secret of this folder mixed into the ids of cron runs and ticks,
    /// so no token holder can compute a fire's run id and take it first
    /// (made on first open by a cairn that has it; until then, empty).
    public let runIdSalt: String
    /// For a folder an older cairn made (without the run-id salt): when
    /// its salt was made. Minutes up to it keep unsalted ids (`Scheduler.salt(for:)`),
    /// so the minute of the upgrade does not fire twice.
    public let runIdSaltAppliesAfter: Timestamp?
    private let follower = DispatchQueue(label: "cairn.projections.catch-up")
    /// Why the projections' last catch-up failed; `nil` once one succeeds.
    private let lag = NIOLockedValueBox<String?>(nil)

    /// Opens the data folder at `path`, creating it (and its format record) on first use.
    /// - Parameter notice: told what opening changed in the folder (a
    ///   migration, once); by default written to standard error.
    public init(
        path: String, options: Environment.Options = Environment.Options(),
        clock: @escaping @Sendable () -> Timestamp = Timestamp.now,
        notice: (String) -> Void = Store.standardErrorNotice
    ) throws {
        self.path = path
        do {
            environment = try Environment(path: path, options: options)
        } catch LMDBError.system(ENOENT) {
            throw StoreError.cannotOpen(path: path, reason: "no such folder")
        } catch {
            throw StoreError.cannotOpen(path: path, reason: error.description)
        }
        meta = try environment.database("meta")
        webhookKeys = try environment.database("webhook_keys")
        try Self.checkFormat(environment, meta, now: clock())
        (eventIdSalt, runIdSalt, runIdSaltAppliesAfter) = try Self.salts(environment, meta, now: clock())
        log = try EventStore(environment: environment, clock: clock, progress: { notice("cairn: \(path): \($0)") })
        if let migration = log.layoutMigration { notice("cairn: \(path): \(migration)") }
        // An empty folder has nothing to tell.
        if let migration = log.idOwnershipMigration, migration.publishes > 0 {
            notice("cairn: \(path): \(migration)")
        }
        documents = try DocumentStore(environment: environment)
        // Resumes every projection from its checkpoint (rebuilding one whose
        // projector changed), so a crash between append and projection loses nothing.
        projections = try Projections(log: log, catchingUp: false)
        // A catch-up that fails (a full disk) leaves the folder open for
        // reads as of the last one, and says so (`projectionLag`), rather
        // than refusing to open: the log is whole, and each later write
        // tries again.
        if !options.readOnly { try? catchUpProjectionsHere() }
    }

    /// Appends submissions (see `EventStore.append`) in one durable
    /// transaction and brings the projections up to date. As with `submit`,
    /// a catch-up failing after the commit does not turn the outcomes into
    /// an error (`projectionLag`).
    /// - Parameter catchingUp: `false` leaves the projections behind, for a
    ///   bulk writer (`cairn ingest`) that catches them up once at its end.
    public func append(_ submissions: [Submission], catchingUp: Bool = true) throws -> [AppendOutcome] {
        let outcomes = try log.append(submissions)
        if catchingUp { try? catchUpProjectionsHere() }
        return outcomes
    }

    /// `append` for concurrent callers (the service): the submissions share
    /// a write transaction with other callers' (group commit), and both the
    /// append and the projections' catch-up run on their own queues, so no
    /// fsync blocks a thread of Swift's cooperative pool.
    ///
    /// Once the log has committed, the outcomes are the answer even if the
    /// catch-up then fails: answering an error would have the caller retry
    /// events already recorded. The failure is kept (`projectionLag`,
    /// `/healthz`) and reported once; every later catch-up tries again, and
    /// readers see the projections as of the last one that succeeded.
    public func submit(_ submissions: [Submission]) async throws -> [AppendOutcome] {
        let outcomes = try await log.submit(submissions)
        try? await catchUpProjections()
        return outcomes
    }

    /// Why the projections are behind the log (their last catch-up failed),
    /// or `nil` when the last one succeeded.
    public var projectionLag: String? { lag.withLockedValue { $0 } }

    /// Brings the projections up to date on the catch-up queue. Serial: a
    /// burst of callers finds most of the work already done by the first.
    public func catchUpProjections() async throws {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Void, any Error>, Never>) in
            follower.async { continuation.resume(returning: Result { _ = try self.projections.catchUp() }) }
        }
        try noteCatchUp(result)
    }

    /// Brings the projections up to date on the calling thread (the CLI,
    /// the scheduler's own thread), keeping the outcome as `projectionLag`.
    func catchUpProjectionsHere() throws {
        try noteCatchUp(Result { _ = try projections.catchUp() })
    }

    /// Keeps a catch-up's failure as `projectionLag` (reported on stderr
    /// when the projections fall behind, not at every retry), clears it on
    /// success, and rethrows the failure.
    private func noteCatchUp(_ result: Result<Void, any Error>) throws {
        let failure: String?
        if case .failure(let error) = result { failure = "\(error)" } else { failure = nil }
        let first = lag.withLockedValue { lag in
            defer { lag = failure }
            return lag == nil && failure != nil
        }
        if first, let failure {
            FileHandle.standardError.write(Data("cairn: the projections are behind the log: \(failure)\n".utf8))
        }
        try result.get()
    }

    /// Writes `text` and a newline to standard error.
    public static func standardErrorNotice(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    private static func checkFormat(_ environment: Environment, _ meta: Database, now: Timestamp) throws {
        let found = try environment.read { txn in try txn.get(meta, key: versionKey) }
        if let found {
            guard let version = UInt32(bigEndianBytes: found) else {
                throw StoreError.corrupted(what: "meta.format_version is \(found.count) bytes, expected 4")
            }
            if version > Store.formatVersion {
                throw StoreError.newerFormat(found: version, supported: Store.formatVersion)
            }
            // Recorded before the log moves the folder to its new layout, so
            // an older cairn refuses it instead of writing the old way.
            if version < Store.formatVersion && !environment.options.readOnly {
                try environment.write { txn in try txn.put(meta, key: versionKey, value: Store.formatVersion.bigEndianBytes) }
            }
            return
        }
        // The bit pattern: a clock before 1970 trapped converting to UInt64 (session 26).
        let created = try environment.write { txn in
            try createFormat(txn, meta, createdAt: UInt64(bitPattern: now.microseconds))
        }
        if !created { try checkFormat(environment, meta, now: now) }
    }

    /// Marks a new folder with its format, its birth and its salts, unless
    /// another process opening it at the same moment has just done so
    /// (`false`): then that one's salts are kept. Written over, the two
    /// processes salted run ids differently and every cron fire ran twice.
    static func createFormat(_ txn: WriteTransaction, _ meta: Database, createdAt: UInt64) throws -> Bool {
        guard try txn.get(meta, key: versionKey) == nil else { return false }
        try txn.put(meta, key: versionKey, value: Store.formatVersion.bigEndianBytes)
        try txn.put(meta, key: createdAtKey, value: createdAt.bigEndianBytes)
        // A new folder salts both kinds of id from its first event.
        try txn.put(meta, key: eventSaltKey, value: Array(newSalt().utf8))
        try txn.put(meta, key: runSaltKey, value: Array(newSalt().utf8))
        return true
    }

    private static let versionKey = Array("format_version".utf8)
    private static let createdAtKey = Array("created_at".utf8)
    private static let eventSaltKey = Array("event_id_salt".utf8)
    private static let runSaltKey = Array("run_id_salt".utf8)

    private static func newSalt() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in String(generator.next() as UInt64, radix: 16) }.joined(separator: "-")
    }

    private static let runSaltSinceKey = Array("run_id_salt_since".utf8)

    /// The folder's salts; a folder from before them gets its run-id salt
    /// now (when it can be written), never an event-id salt (see
    /// `eventIdSalt`), and records when (see `runIdSaltAppliesAfter`), in
    /// the same transaction. A new folder has both from its creation
    /// (`checkFormat`): one without them was made by an older cairn, which
    /// may still be ticking it, even if it holds no event yet.
    private static func salts(
        _ environment: Environment, _ meta: Database, now: Timestamp
    ) throws -> (event: String, run: String, runAppliesAfter: Timestamp?) {
        func read() throws -> (String, String?, Timestamp?) {
            try environment.read { txn in
                (try txn.get(meta, key: eventSaltKey).map { String(decoding: $0, as: UTF8.self) } ?? "",
                 try txn.get(meta, key: runSaltKey).map { String(decoding: $0, as: UTF8.self) },
                 try txn.get(meta, key: runSaltSinceKey).flatMap(UInt64.init(bigEndianBytes:))
                    .map { Timestamp(microseconds: Int64(truncatingIfNeeded: $0)) })
            }
        }
        let (event, run, since) = try read()
        if let run { return (event, run, since) }
        guard !environment.options.readOnly else { return (event, "", nil) }
        // Another process may make it at the same moment: whoever commits first, both read that one.
        try? environment.write { txn in
            guard try txn.get(meta, key: runSaltKey) == nil else { return }
            try txn.put(meta, key: runSaltKey, value: Array(newSalt().utf8))
            try txn.put(meta, key: runSaltSinceKey, value: UInt64(bitPattern: now.microseconds).bigEndianBytes)
        }
        let (_, written, writtenSince) = try read()
        return (event, written ?? "", writtenSince)
    }

    /// What `cairn info` prints.
    public struct Info: Sendable, Codable {
        public struct DatabaseInfo: Sendable, Codable {
            public let name: String
            public let entries: Int
            public let bytes: Int
        }
        public let path: String
        public let formatVersion: UInt32
        public let createdAt: Date?
        public let mapSize: Int
        public let usedBytes: Int
        /// The databases in use: a projection's idle slot (the one a rebuild
        /// replays into) is left out.
        public let databases: [DatabaseInfo]
        /// The last sequence of the event log.
        public let lastSequence: UInt64
        public let projections: [ProjectionEngine.Status]
    }

    public func info() throws -> Info {
        let status = try projections.engine.status()
        // A projection's idle slot (`proj.<name>.<table>.<slot>`) is left out.
        var idle = Set<String>()
        for (projector, state) in zip(projections.engine.projectors, status) {
            for table in projector.tables { idle.insert("proj.\(projector.name).\(table).\(1 - state.slot)") }
        }
        let names = try environment.databaseNames().filter { !idle.contains($0) }
        let handles = try names.map { try environment.database($0) }
        let head = try log.lastSequence()
        return try environment.read { txn in
            let version = try txn.get(meta, key: Self.versionKey).flatMap { UInt32(bigEndianBytes: $0) }
            let created = try txn.get(meta, key: Self.createdAtKey).flatMap { UInt64(bigEndianBytes: $0) }
                .map { Timestamp(microseconds: Int64(bitPattern: $0)) }
            let envInfo = environment.info()
            return Info(
                path: path,
                formatVersion: version ?? 0,
                createdAt: created?.date,
                mapSize: envInfo.mapSize,
                usedBytes: envInfo.usedBytes,
                databases: try handles.map { db in
                    let stat = try txn.statistics(db)
                    return Info.DatabaseInfo(name: db.name ?? "", entries: stat.entries, bytes: stat.bytes)
                },
                lastSequence: head,
                projections: status
            )
        }
    }
}

/// Why a data folder could not be used.
public enum StoreError: Error, CustomStringConvertible, Equatable {
    case cannotOpen(path: String, reason: String)
    case newerFormat(found: UInt32, supported: UInt32)
    case corrupted(what: String)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason): return "cannot open data folder \(path): \(reason)"
        case let .newerFormat(found, supported):
            return "the data folder has format \(found); this cairn reads up to \(supported): upgrade cairn"
        case let .corrupted(what): return "the data folder is corrupted: \(what)"
        }
    }
}
