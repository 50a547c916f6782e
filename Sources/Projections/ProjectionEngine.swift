public import EventLog
import Encoding
public import LMDB
import Foundation

/// Keeps projections in step with the log, exactly once: each projector's
/// checkpoint (last sequence applied, projector version, active slot) is
/// written in the same transaction as the state it covers.
///
/// Every projection has two slots of databases. Rebuilding replays the log
/// into the idle slot, then switches the active slot in one transaction, so
/// readers see the old state or the new one, never a mix.
public final class ProjectionEngine: @unchecked Sendable {
    public let log: EventStore
    public let projectors: [any Projector]
    let environment: Environment
    let checkpoints: Database
    private let lock = NSLock()
    private var slots: [String: UInt8] = [:]
    /// Both slots' database handles of every projector, opened once up front:
    /// opening a database needs a write transaction of its own.
    private let handleTable: [String: [[Database]]]
    /// Events per write transaction while catching up.
    public var batchSize = 8_192
    /// At most this many events per write transaction while replaying into
    /// the idle slots. A rebuild is invisible until its switch, so it takes
    /// big steps: the fewer the transactions, the fewer times each leaf page
    /// is rewritten, and the first one loads empty tables by appending.
    public var replayBatchSize = 1 << 20
    /// A replay transaction also ends once its deferred writes hold this many
    /// bytes, so a rebuild's memory stays bounded whatever the log's size.
    /// About a million events' writes: a later transaction inserts among
    /// the keys of the ones before (run ids are random), where the first
    /// appends, so it costs about twice as much an event.
    public var replayMemoryBudget = 256 << 20
    /// When the writer's side of a parallel batch lets the other thread
    /// sort its tables (see `applyInParallel`). Tests pin it down, so that
    /// both orders are covered whatever the threads' timing.
    enum SortHandOff {
        /// If the detached side has finished when the writer's side does.
        case whenReady
        /// Always: the writer's side waits for the detached side first.
        case wait
        /// Never: the writer's side sorts its own tables.
        case never
    }
    var sortHandOff = SortHandOff.whenReady
    /// Off only in tests: every projector is handed every event, so a
    /// replay can show that no `kinds` leaves out one its projector needs.
    var honoursKinds = true
    /// Replays the projectors that can be replayed detached (the runs
    /// projection) on a second thread beside the others.
    public var parallelReplay = ProcessInfo.processInfo.activeProcessorCount > 1

    struct Checkpoint: Equatable {
        var slot: UInt8
        var version: UInt32
        var sequence: UInt64

        var bytes: [UInt8] { [slot] + version.bigEndianBytes + sequence.bigEndianBytes }

        init(slot: UInt8, version: UInt32, sequence: UInt64) {
            self.slot = slot
            self.version = version
            self.sequence = sequence
        }

        /// `nil` for anything but a checkpoint's 13 bytes naming slot 0 or 1.
        init?(_ bytes: [UInt8]) {
            guard bytes.count == 13, bytes[0] <= 1, let version = UInt32(bigEndianBytes: bytes[1..<5]),
                let sequence = UInt64(bigEndianBytes: bytes[5..<13])
            else { return nil }
            self.init(slot: bytes[0], version: version, sequence: sequence)
        }
    }

    /// Opens the projections, rebuilding any whose projector version changed,
    /// then catches them up with the log.
    /// - Parameter catchingUp: `false` leaves the projections at their
    ///   checkpoints (a caller that catches up itself, and tolerates its
    ///   failing: `Store`, so a full disk still opens for reads). A
    ///   projection whose projector changed is rebuilt either way: its
    ///   tables would otherwise be read with a layout they do not have.
    public init(
        log: EventStore, projectors: [any Projector], catchingUp: Bool = true,
        progress: ((UInt64, UInt64) -> Void)? = nil
    ) throws {
        self.log = log
        self.projectors = projectors
        environment = log.environment
        checkpoints = try environment.database("checkpoints")
        var table: [String: [[Database]]] = [:]
        for projector in projectors {
            table[projector.name] = try (0...1).map { slot in
                try projector.tables.map { try log.environment.database("proj.\(projector.name).\($0).\(slot)") }
            }
        }
        handleTable = table
        var stale: [any Projector] = []
        for projector in projectors {
            let key = Array(projector.name.utf8)
            var stored = try environment.read { txn in try txn.get(checkpoints, key: key) }
            if stored == nil {
                stored = try environment.write { txn in
                    try Self.startCheckpoint(txn, checkpoints, key: key, version: projector.version)
                }
            }
            if let checkpoint = stored.flatMap(Checkpoint.init) {
                slots[projector.name] = checkpoint.slot
                if checkpoint.version != projector.version { stale.append(projector) }
            } else if stored != nil {
                // A damaged checkpoint: which slot is live, and how far it
                // got, are unknown. The projection is rebuilt from the log.
                slots[projector.name] = 0
                stale.append(projector)
            } else {
                slots[projector.name] = 0
            }
        }
        if !stale.isEmpty {
            try rebuild(stale, progress: progress)
            try dropRetiredTables(of: stale)
        }
        if catchingUp { try catchUp() }
    }

    /// Starts a new projection at the log's beginning (`nil`), unless another
    /// process opening the folder at the same moment started it first, and
    /// maybe caught it up since: its checkpoint is returned and kept.
    /// Reset to 0, the projection applied those events twice.
    static func startCheckpoint(
        _ txn: WriteTransaction, _ checkpoints: Database, key: [UInt8], version: UInt32
    ) throws -> [UInt8]? {
        if let found = try txn.get(checkpoints, key: key) { return found }
        try txn.put(checkpoints, key: key, value: Checkpoint(slot: 0, version: version, sequence: 0).bytes)
        return nil
    }

    /// Deletes the databases of tables `projectors` no longer have (a new
    /// version left one out), so an upgraded store keeps no dead copies.
    private func dropRetiredTables(of projectors: [any Projector]) throws {
        let names = try environment.databaseNames()
        for projector in projectors {
            let prefix = "proj.\(projector.name)."
            let current = Set(projector.tables.flatMap { ["\(prefix)\($0).0", "\(prefix)\($0).1"] })
            for name in names where name.hasPrefix(prefix) && !current.contains(name) {
                try environment.dropDatabase(name)
            }
        }
    }

    func checkpoint(_ projector: any Projector) throws -> Checkpoint? {
        try environment.read { txn in
            try txn.get(checkpoints, key: Array(projector.name.utf8)).flatMap(Checkpoint.init)
        }
    }

    /// Where a projection stands: its projector's version, the last sequence
    /// it applied and which of its two slots of databases is live.
    public struct Status: Sendable, Codable, Equatable {
        public let name: String
        public let version: UInt32
        public let sequence: UInt64
        public let slot: UInt8
    }

    public func status() throws -> [Status] {
        try projectors.map { projector in
            let checkpoint = try checkpoint(projector) ?? Checkpoint(slot: 0, version: projector.version, sequence: 0)
            return Status(name: projector.name, version: checkpoint.version, sequence: checkpoint.sequence, slot: checkpoint.slot)
        }
    }

    /// The last sequence each projection has applied.
    public func positions() throws -> [String: UInt64] {
        Dictionary(uniqueKeysWithValues: try status().map { ($0.name, $0.sequence) })
    }

    func handles(_ projector: any Projector, slot: UInt8) throws -> [Database] {
        guard let both = handleTable[projector.name] else {
            throw ProjectionError.corrupt("projector \(projector.name) is not registered")
        }
        return both[Int(slot & 1)]
    }

    /// The live database `table` of `projector` as `txn` sees it: the
    /// reader's own transaction, so the slot and what the reader reads in it
    /// are of one state. Another process may rebuild and switch slots at any
    /// time, and its switch clears the slot it leaves: a slot read in a
    /// transaction of its own could be empty by the time the reader's began.
    public func table(_ projector: any Projector, _ table: Int, in txn: ReadTransaction) throws -> Database {
        let slot = try txn.get(checkpoints, key: Array(projector.name.utf8)).flatMap(Checkpoint.init)?.slot
            ?? lock.withLock { slots[projector.name] ?? 0 }
        afterResolvingSlot?()
        return try handles(projector, slot: slot)[table]
    }

    /// The live database `table` of `projector`, read in a transaction of
    /// its own: for a reader that knows no rebuild runs meanwhile (tests,
    /// tools). Readers use `table(_:_:in:)`.
    public func table(_ projector: any Projector, _ table: Int) throws -> Database {
        try environment.read { txn in try self.table(projector, table, in: txn) }
    }

    /// Tests only: runs each time a reader has resolved a projection's slot.
    var afterResolvingSlot: (() -> Void)?

    // MARK: Catching up

    /// Whether some projection's checkpoint is below the log's head (read only).
    func isBehind() throws -> Bool {
        try environment.read { txn in
            let head = try log.lastSequence(in: txn)
            for projector in projectors {
                guard let checkpoint = try txn.get(checkpoints, key: Array(projector.name.utf8)).flatMap(Checkpoint.init)
                else { continue }
                if checkpoint.sequence < head { return true }
            }
            return false
        }
    }

    /// Applies every event the projections have not seen, in bounded batches.
    /// Safe to call from several places at once: the checkpoint is read inside
    /// the write transaction, so no event is applied twice.
    @discardableResult
    public func catchUp() throws -> UInt64 {
        // Most calls (one after every append the service makes) find nothing
        // new: they learn it in a read, without taking LMDB's writer lock
        // from the appends.
        guard try isBehind() else { return 0 }
        var applied: UInt64 = 0
        while true {
            let (count, done) = try environment.write { txn -> (UInt64, Bool) in
                var states: [(any Projector, Checkpoint, ProjectionContext)] = []
                for projector in projectors {
                    guard let checkpoint = try txn.get(checkpoints, key: Array(projector.name.utf8)).flatMap(Checkpoint.init)
                    else { continue }
                    // Another process of another cairn rebuilt it in its own
                    // layout: applying events in this one would mix the two.
                    guard checkpoint.version == projector.version else {
                        throw ProjectionError.otherVersion(
                            projection: projector.name, stored: checkpoint.version, ours: projector.version)
                    }
                    let context = ProjectionContext(
                        transaction: txn, handles: try handles(projector, slot: checkpoint.slot), log: log)
                    states.append((projector, checkpoint, context))
                }
                let head = try log.lastSequence(in: txn)
                guard let from = states.map(\.1.sequence).min(), from < head else { return (0, true) }
                let last = min(head, from + UInt64(max(1, batchSize)))
                var applied = states.map(\.1.sequence)
                _ = try feed(
                    states.map(\.0), states.map(\.2), members: Array(states.indices), applied: &applied, through: last, txn,
                    detached: false, shouldStop: { false }, progress: nil)
                let count = last - from
                for (projector, _, context) in states {
                    try projector.flush(context)
                    try context.writeDeferred()
                }
                for (projector, checkpoint, _) in states where checkpoint.sequence < last {
                    var moved = checkpoint
                    moved.sequence = last
                    try txn.put(checkpoints, key: Array(projector.name.utf8), value: moved.bytes)
                }
                return (count, last >= head)
            }
            applied += count
            if done { return applied }
        }
    }

    // MARK: Rebuilding

    /// Replays the whole log into fresh databases for `projectors` (all by
    /// default), then switches to them atomically. `progress` gets (events
    /// replayed, events in the log).
    public func rebuild(_ which: [any Projector]? = nil, progress: ((UInt64, UInt64) -> Void)? = nil) throws {
        let targets = which ?? projectors
        let idle = try replayIntoIdleSlots(targets, progress: progress)
        // Switch: catch the new slots up with anything appended meanwhile, then
        // move every checkpoint to its new slot in one transaction, which
        // also ends the rebuild's claim.
        do {
            try environment.write { txn in
                try checkClaims(targets, idle.claim, txn)
                let head = try log.lastSequence(in: txn)
                try applyRange(targets, slots: idle, from: idle.replayed + 1, through: head, txn)
                for projector in targets {
                    let slot = idle.slots[projector.name]!
                    try txn.put(checkpoints, key: Array(projector.name.utf8), value: Checkpoint(
                        slot: slot, version: projector.version, sequence: head).bytes)
                    for db in try handles(projector, slot: 1 - slot) { try txn.clear(db) }
                }
                endClaims(targets, idle.claim, txn)
            }
        } catch {
            releaseClaims(targets, idle.claim)
            throw error
        }
        lock.withLock { for (name, slot) in idle.slots { slots[name] = slot } }
    }

    struct IdleSlots {
        var slots: [String: UInt8]
        var replayed: UInt64
        /// The claim the replay was made under (`checkClaims`).
        var claim: RebuildClaim
    }

    /// Claims each projector's rebuild, clears its idle slot and replays
    /// the log into it up to the current head. The claim stays until the
    /// caller ends it (`endClaims`, in the transaction that uses the replay)
    /// or releases it (`releaseClaims`, when that fails); if this throws,
    /// the claim is released already.
    func replayIntoIdleSlots(_ targets: [any Projector], progress: ((UInt64, UInt64) -> Void)?) throws -> IdleSlots {
        let names = targets.map(\.name)
        let claim = RebuildClaim.mine()
        // One transaction reads the active slots, checks that no other
        // rebuild is replaying into the idle ones, claims them and clears
        // them: a second rebuild (another process, or another thread)
        // finds the claim.
        let (idle, live) = try environment.write { txn -> ([String: UInt8], Int) in
            var idle: [String: UInt8] = [:]
            for projector in targets {
                if let held = try txn.get(checkpoints, key: RebuildClaim.key(projector.name)).flatMap(RebuildClaim.init),
                    held.isLive(projector.name, in: environment.path)
                {
                    throw RebuildInProgress(projection: projector.name, pid: held.pid, since: held.claimedAt)
                }
                let active = try txn.get(checkpoints, key: Array(projector.name.utf8)).flatMap(Checkpoint.init)?.slot ?? 0
                idle[projector.name] = 1 - active
            }
            // Listed before the claim commits, so another thread of this
            // process that reads it next sees it live; unlisted if this
            // attempt does not commit (a full map runs the body again, and
            // a listing left behind would make its own stale claim look
            // live, refusing every rebuild here until a restart).
            let folder = environment.path
            ActiveRebuilds.shared.insert(claim, of: names, in: folder)
            txn.afterAbort { ActiveRebuilds.shared.remove(claim, of: names, in: folder) }
            var bytes = 0
            for projector in targets {
                try txn.put(checkpoints, key: RebuildClaim.key(projector.name), value: claim.bytes)
                for db in try handles(projector, slot: idle[projector.name]!) { try txn.clear(db) }
                for db in try handles(projector, slot: 1 - idle[projector.name]!) { bytes += try txn.statistics(db).bytes }
            }
            return (idle, bytes)
        }
        // A failure above leaves nothing of ours to release: the
        // transaction's abort takes back the names it listed, and none were
        // listed if it never ran (taking them off here took another thread's
        // live rebuild off the list).
        do {
            return try replay(targets, into: idle, claim: claim, live: live, progress: progress)
        } catch {
            releaseClaims(targets, claim)
            throw error
        }
    }

    /// Throws unless every claim of `targets` is still `claim`, the very
    /// one this rebuild made: another rebuild that judged this process gone
    /// may have taken it over (it holds it, or has finished and removed it,
    /// or failed and released it), and may have switched to its own replay,
    /// whose slot is the one this rebuild took for idle. A claim of this
    /// process but another rebuild (made after such a takeover) is not
    /// this rebuild's either.
    private func checkClaims(_ targets: [any Projector], _ claim: RebuildClaim, _ txn: ReadTransaction) throws {
        for projector in targets {
            let held = try txn.get(checkpoints, key: RebuildClaim.key(projector.name)).flatMap(RebuildClaim.init)
            if held == claim { continue }
            if let held, !held.isMine { throw RebuildInProgress(projection: projector.name, pid: held.pid, since: held.claimedAt) }
            throw RebuildClaimLost(projection: projector.name)
        }
    }

    /// Removes the claims of `targets` that are still `claim` in `txn`; they
    /// stop being live in this process once it commits.
    private func endClaims(_ targets: [any Projector], _ claim: RebuildClaim, _ txn: WriteTransaction) {
        for projector in targets {
            let key = RebuildClaim.key(projector.name)
            if let held = try? txn.get(checkpoints, key: key).flatMap(RebuildClaim.init), held == claim {
                _ = try? txn.delete(checkpoints, key: key)
            }
        }
        let (names, folder) = (targets.map(\.name), environment.path)
        txn.afterCommit { ActiveRebuilds.shared.remove(claim, of: names, in: folder) }
    }

    /// Ends this process's claims of `targets` after a failed rebuild. If
    /// even that write fails, the claims are no longer live for this
    /// process (it takes them over), though another sees them live until
    /// this one exits.
    private func releaseClaims(_ targets: [any Projector], _ claim: RebuildClaim) {
        _ = try? environment.write { txn in endClaims(targets, claim, txn) }
        ActiveRebuilds.shared.remove(claim, of: targets.map(\.name), in: environment.path)
    }

    /// Replays the log into the (cleared) idle slots `idle`, up to the head.
    private func replay(
        _ targets: [any Projector], into idle: [String: UInt8], claim: RebuildClaim, live: Int,
        progress: ((UInt64, UInt64) -> Void)?
    ) throws -> IdleSlots {
        // The replay writes about what the live slots hold: room for it now,
        // so a replay transaction of a million events never fills the map
        // midway and starts over.
        try environment.reserve(live + live / 4)
        let head = try log.lastSequence()
        var replayed: UInt64 = 0
        while replayed < head {
            let end = min(head, replayed + UInt64(replayBatchSize))
            replayed = try environment.write { txn -> UInt64 in
                // A rebuild that judged this process gone may have taken the
                // claim over and be clearing these slots: stop before writing
                // into them (docs/operations.md, "Projections").
                try checkClaims(targets, claim, txn)
                // One transaction may replay a million events: progress is
                // reported inside it too, not only when it commits.
                return try applyRange(
                    targets, slots: IdleSlots(slots: idle, replayed: 0, claim: claim), from: replayed + 1, through: end,
                    memoryBudget: replayMemoryBudget, parallel: parallelReplay, txn,
                    progress: progress.map { report in { report($0, head) } })
            }
            progress?(replayed, head)
        }
        return IdleSlots(slots: idle, replayed: replayed, claim: claim)
    }

    /// Applies the events `from...end` (stopping early, after a whole event,
    /// once the deferred writes reach `memoryBudget` bytes) and returns the
    /// last sequence applied. With `parallel`, projectors that can be
    /// replayed detached run on a second thread beside the others.
    @discardableResult
    private func applyRange(
        _ targets: [any Projector], slots: IdleSlots, from: UInt64, through end: UInt64,
        memoryBudget: Int = .max, parallel: Bool = false, _ txn: WriteTransaction,
        progress: ((UInt64) -> Void)? = nil
    ) throws -> UInt64 {
        guard from <= end else { return from - 1 }
        let contexts = try targets.map {
            ProjectionContext(transaction: txn, handles: try handles($0, slot: slots.slots[$0.name]!), log: log)
        }
        var applied = [UInt64](repeating: from - 1, count: targets.count)
        let detached = targets.indices.filter { !targets[$0].detachedKinds.isEmpty }
        let last: UInt64
        if parallel && !detached.isEmpty && detached.count < targets.count {
            last = try applyInParallel(
                targets, contexts, detached: detached, applied: &applied, through: end, memoryBudget: memoryBudget, txn,
                progress: progress)
        } else {
            last = try feed(
                targets, contexts, members: Array(targets.indices), applied: &applied, through: end, txn, detached: false,
                shouldStop: { contexts.reduce(0) { $0 + $1.deferred.byteCount } >= memoryBudget }, progress: progress)
        }
        for (projector, context) in zip(targets, contexts) {
            try projector.flush(context)
            try context.writeDeferred()
        }
        return last
    }

    /// Feeds `members` (indexes into `projectors`) the events after each
    /// one's `applied` sequence, up to `end`, read in `txn`. An event is
    /// read only if one of them acts on its kind. `detached`: a projector
    /// stops at its first event of a kind it cannot apply detached, or that
    /// it says needs the writer (its `applied` stays before it). Every 4,096
    /// events, reports progress and asks `shouldStop`. Returns the last
    /// sequence read.
    private func feed(
        _ projectors: [any Projector], _ contexts: [ProjectionContext], members: [Int], applied: inout [UInt64],
        through end: UInt64, _ txn: ReadTransaction, detached: Bool, shouldStop: () -> Bool,
        progress: ((UInt64) -> Void)?
    ) throws -> UInt64 {
        guard let first = members.map({ applied[$0] }).min(), first < end else { return end }
        // Read once: each read through the existential copies the projector
        // (a retain and a release), at every event, for every projector.
        let kinds = projectors.map(\.kinds)
        let detachedKinds = projectors.map(\.detachedKinds)
        // The loop below runs a million times a rebuild: `applied` lives in
        // raw memory meanwhile (an array written through `inout` checks its
        // uniqueness at every write), and no array is iterated by value
        // (each such loop retains and releases its storage).
        let progressOf = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: applied.count)
        _ = progressOf.initialize(from: applied)
        defer {
            applied = Array(progressOf)
            progressOf.deallocate()
        }
        var active = members
        var last = first
        var sinceCheck = 0
        try log.scanEvents(txn, from: first + 1) { sequence, bytes in
            guard sequence <= end else { return false }
            // A header this Cairn cannot read has no kind: decoding says why.
            let kind = EventCodec.kind(of: bytes)
            // First who acts on it (settling those that skip or stop), then,
            // if anyone does, one decode for all of them.
            var acting = false
            var k = 0
            while k < active.count {
                let i = active[k]
                if progressOf[i] >= sequence {
                    k += 1
                    continue
                }
                if honoursKinds, let kind, !kinds[i].includes(kind) {
                    progressOf[i] = sequence
                    k += 1
                    continue
                }
                if detached, let kind, !detachedKinds[i].includes(kind) {
                    active.remove(at: k)  // the writer's thread takes it on from here
                    continue
                }
                acting = true
                k += 1
            }
            if acting {
                // Read in place: the bytes stay mapped, unchanged, until the
                // batch's write transaction ends. Nothing in it writes the
                // log, and LMDB reuses only pages that no longer belong to
                // the state it started from, so slices kept in scratch stay
                // good for the batch, even those a detached side read
                // through its own (same-state) read transaction.
                let event = try EventCodec.view(bytes, sequence: sequence)
                k = 0
                while k < active.count {
                    let i = active[k]
                    k += 1
                    guard progressOf[i] < sequence else { continue }
                    do {
                        try projectors[i].apply(event, contexts[i])
                    } catch ProjectionError.needsWriter where detached {
                        // The writer's thread applies this event again.
                        k -= 1
                        active.remove(at: k)
                        continue
                    }
                    progressOf[i] = sequence
                }
            }
            last = sequence
            if active.isEmpty { return false }
            sinceCheck += 1
            if sinceCheck == 4_096 {
                sinceCheck = 0
                progress?(sequence)
                if shouldStop() { return false }
            }
            return true
        }
        return last
    }

    /// A replay batch on two threads: the projectors listed in `detached`
    /// on a second one, reading the log and their own tables through a read
    /// transaction of their own and deferring every write; the others here,
    /// with the writer. Each side stops at the memory budget (counting both)
    /// or at `end`; a detached projector also stops at its first event that
    /// needs the writer. Then, on this thread, every projector behind the one
    /// that got furthest is carried on to it, so all end the batch together.
    /// When this side reaches `end` first, it writes its projectors' tables
    /// while the other side is still at work.
    private func applyInParallel(
        _ targets: [any Projector], _ contexts: [ProjectionContext], detached: [Int], applied: inout [UInt64],
        through end: UInt64, memoryBudget: Int, _ txn: WriteTransaction, progress: ((UInt64) -> Void)?
    ) throws -> UInt64 {
        let attached = targets.indices.filter { !detached.contains($0) }
        let budget = SharedBudget(limit: memoryBudget)
        let worker = DetachedReplay(
            engine: self, projectors: targets, contexts: contexts, members: detached, applied: applied, end: end,
            budget: budget)
        worker.start()
        do {
            _ = try feed(
                targets, contexts, members: attached, applied: &applied, through: end, txn, detached: false,
                shouldStop: { budget.exceeded(mine: attached.reduce(0) { $0 + contexts[$1].deferred.byteCount }, side: 0) },
                progress: progress)
            // Done with the batch (not stopped by the budget): these
            // projectors see no more of it, and only the writing is left,
            // which is this thread's alone. What the other thread can
            // still do is sort.
            if attached.allSatisfy({ applied[$0] == end }) {
                for i in attached { try targets[i].flush(contexts[i]) }
                let detachedDone: Bool
                switch sortHandOff {
                case .whenReady: detachedDone = worker.isFinished
                case .wait:
                    worker.join()
                    detachedDone = true
                case .never: detachedDone = false
                }
                if detachedDone && detached.allSatisfy({ worker.applied[$0] == end }) {
                    // The detached side is done and sorted: it sorts this
                    // side's tables while this thread writes its tables.
                    let sorter = BackgroundWork("cairn-sort") { for i in attached { contexts[i].deferred.sort() } }
                    try finishDetached(worker, detached, contexts, &applied, txn)
                    for i in detached {
                        try targets[i].flush(contexts[i])
                        try contexts[i].writeDeferred()
                    }
                    sorter.join()
                } else {
                    // It is still replaying: this thread sorts its own
                    // tables and writes them meanwhile.
                }
                for i in attached { try contexts[i].writeDeferred() }
                budget.record(0, side: 0)
            }
        } catch {
            budget.stop()
            worker.join()
            throw error
        }
        try finishDetached(worker, detached, contexts, &applied, txn)
        let last = applied.max()!
        _ = try feed(
            targets, contexts, members: Array(targets.indices), applied: &applied, through: last, txn, detached: false,
            shouldStop: { false }, progress: nil)
        return last
    }

    /// Waits for the detached side and hands its projectors back to `txn`
    /// (once; later calls do nothing).
    private func finishDetached(
        _ worker: DetachedReplay, _ detached: [Int], _ contexts: [ProjectionContext], _ applied: inout [UInt64],
        _ txn: WriteTransaction
    ) throws {
        guard !worker.isHandedBack else { return }
        worker.join()
        worker.isHandedBack = true
        if let error = worker.error { throw error }
        for i in detached {
            applied[i] = worker.applied[i]
            contexts[i].attach(txn)
        }
    }

    /// The detached side of `applyInParallel`, on a thread of its own.
    private final class DetachedReplay: @unchecked Sendable {
        let engine: ProjectionEngine
        let projectors: [any Projector]
        let contexts: [ProjectionContext]
        let members: [Int]
        var applied: [UInt64]
        let end: UInt64
        let budget: SharedBudget
        var error: (any Error)?
        /// Set once the writer has taken the projectors back.
        var isHandedBack = false
        private var work: BackgroundWork?

        init(
            engine: ProjectionEngine, projectors: [any Projector], contexts: [ProjectionContext], members: [Int],
            applied: [UInt64], end: UInt64, budget: SharedBudget
        ) {
            self.engine = engine
            self.projectors = projectors
            self.contexts = contexts
            self.members = members
            self.applied = applied
            self.end = end
            self.budget = budget
        }

        func start() {
            work = BackgroundWork("cairn-replay") { [self] in
                do {
                    try engine.environment.read { reader in
                        for i in members { contexts[i].detach(reading: reader) }
                        _ = try engine.feed(
                            projectors, contexts, members: members, applied: &applied, through: end, reader,
                            detached: true,
                            shouldStop: { [self] in
                                budget.exceeded(mine: members.reduce(0) { $0 + contexts[$1].deferred.byteCount }, side: 1)
                            },
                            progress: nil)
                    }
                    // While the writer's side is still at it: the writer
                    // then only appends these in order.
                    for i in members { contexts[i].deferred.sort() }
                } catch {
                    self.error = error
                    budget.stop()
                }
            }
        }

        /// Whether the replay (and its sort) is over, without waiting.
        var isFinished: Bool { work?.isFinished ?? true }

        func join() { work?.join() }
    }

    /// What both sides of a parallel replay have deferred, and whether
    /// either has called a stop.
    private final class SharedBudget: @unchecked Sendable {
        private let lock = NSLock()
        private let limit: Int
        private var bytes = [0, 0]
        private var stopped = false

        init(limit: Int) { self.limit = limit }

        /// Records what `side` holds now; true once both together reach the
        /// limit (or a stop was called), for both sides from then on.
        func exceeded(mine: Int, side: Int) -> Bool {
            lock.withLock {
                bytes[side] = mine
                if bytes[0] + bytes[1] >= limit { stopped = true }
                return stopped
            }
        }

        /// Records what `side` holds now, without asking.
        func record(_ mine: Int, side: Int) { lock.withLock { bytes[side] = mine } }

        func stop() { lock.withLock { stopped = true } }
    }

    // MARK: Verifying

    /// A key or value that differs between the live projection and a replay.
    public struct Difference: Sendable, CustomStringConvertible {
        public let table: String
        public let key: [UInt8]
        public let live: [UInt8]?
        public let rebuilt: [UInt8]?

        public var description: String {
            let printable = String(decoding: key.map { $0 == 0 ? UInt8(ascii: "/") : $0 }, as: UTF8.self)
            switch (live, rebuilt) {
            case (nil, _): return "\(table): key \(printable) only in the rebuild"
            case (_, nil): return "\(table): key \(printable) only in the live projection"
            default: return "\(table): key \(printable) differs"
            }
        }
    }

    /// Replays the log beside the live projections and compares every key and
    /// value; the live ones are left as they are. Empty means identical.
    ///
    /// The comparison reads every projection table, which on a large folder
    /// takes a while: it runs in a read transaction in which the replay and
    /// the live projections stand at the same sequence, so the service's
    /// appends and ticks go on meanwhile. The writer is taken only to bring
    /// the replay up to the live projections (the events appended since the
    /// replay), and at the end to clear it. If the live projections move on
    /// between those (another process appended and caught up), it is tried
    /// again; after `compareAttempts` tries, the comparison is made holding
    /// the writer, as it always was before.
    public func verify(progress: ((UInt64, UInt64) -> Void)? = nil) throws -> [Difference] {
        try catchUp()
        var idle = try replayIntoIdleSlots(projectors, progress: progress)
        do {
            for _ in 0..<compareAttempts {
                // Live behind the log (appended elsewhere, not yet caught up): caught up here.
                try catchUp()
                idle.replayed = try environment.write { txn in try replayToLive(idle, txn) }
                try verifyObserver?(.replayCaughtUp)
                let compared = try environment.read { txn -> [Difference]? in
                    try checkClaims(projectors, idle.claim, txn)
                    guard try liveSequence(txn) == idle.replayed else { return nil }  // moved on: again
                    return try differences(idle, txn)
                }
                if let compared {
                    try environment.write { txn in
                        // A rebuild that took the claim over meanwhile may have
                        // switched to these slots: never cleared then.
                        try checkClaims(projectors, idle.claim, txn)
                        try clearReplay(idle, txn)
                        endClaims(projectors, idle.claim, txn)
                    }
                    return compared
                }
            }
            return try environment.write { txn -> [Difference] in
                // Collected here, not outside: a write that fills the map runs
                // this closure again, from the start.
                var caughtUp = idle
                caughtUp.replayed = try replayToLive(idle, txn)
                let differences = try differences(caughtUp, txn)
                try clearReplay(idle, txn)
                endClaims(projectors, idle.claim, txn)
                return differences
            }
        } catch {
            releaseClaims(projectors, idle.claim)
            throw error
        }
    }

    /// How many times `verify` brings its replay up to the live projections
    /// and compares without the writer before it compares holding it.
    var compareAttempts = 8

    /// Tests only: told where `verify` is, to act there.
    var verifyObserver: ((VerifyStep) throws -> Void)?

    enum VerifyStep {
        /// The replay was brought up to the live projections; no transaction is open.
        case replayCaughtUp
        /// In the transaction the comparison is made in, before it starts.
        case comparing
    }

    /// The sequence the live projections stand at in `txn` (the furthest
    /// checkpoint; they move together); 0 before any.
    private func liveSequence(_ txn: ReadTransaction) throws -> UInt64 {
        try projectors.compactMap { try txn.get(checkpoints, key: Array($0.name.utf8)).flatMap(Checkpoint.init)?.sequence }
            .max() ?? 0
    }

    /// Brings the replay in `idle` to exactly where the live projections
    /// are in `txn`; returns that sequence.
    private func replayToLive(_ idle: IdleSlots, _ txn: WriteTransaction) throws -> UInt64 {
        try checkClaims(projectors, idle.claim, txn)
        let target = try liveSequence(txn)
        try applyRange(projectors, slots: idle, from: idle.replayed + 1, through: target, txn)
        return max(idle.replayed, target)
    }

    /// Every difference between the live projections and the replay in
    /// `idle`, as `txn` sees them.
    private func differences(_ idle: IdleSlots, _ txn: ReadTransaction) throws -> [Difference] {
        try verifyObserver?(.comparing)
        var differences: [Difference] = []
        for projector in projectors {
            guard let checkpoint = try txn.get(checkpoints, key: Array(projector.name.utf8)).flatMap(Checkpoint.init)
            else { continue }
            let liveHandles = try handles(projector, slot: checkpoint.slot)
            let rebuiltHandles = try handles(projector, slot: idle.slots[projector.name]!)
            for (index, table) in projector.tables.enumerated() {
                differences += try compare("\(projector.name).\(table)", liveHandles[index], rebuiltHandles[index], txn)
            }
        }
        return differences
    }

    /// Empties the replay's slots.
    private func clearReplay(_ idle: IdleSlots, _ txn: WriteTransaction) throws {
        for projector in projectors {
            for db in try handles(projector, slot: idle.slots[projector.name]!) { try txn.clear(db) }
        }
    }

    /// The differences between two tables, walked side by side (nothing
    /// copied but what differs): at most 1,000.
    private func compare(_ name: String, _ live: Database, _ rebuilt: Database, _ txn: ReadTransaction) throws -> [Difference] {
        var differences: [Difference] = []
        try txn.withCursor(live) { left in
            try txn.withCursor(rebuilt) { right in
                var l = try left.first()
                var r = try right.first()
                while differences.count < 1_000 {
                    switch (l, r) {
                    case (nil, nil):
                        return
                    case let (a?, b?) where a.key.elementsEqual(b.key):
                        if !a.value.elementsEqual(b.value) {
                            differences.append(Difference(table: name, key: Array(a.key), live: Array(a.value), rebuilt: Array(b.value)))
                        }
                        l = try left.next()
                        r = try right.next()
                    case let (a?, b) where b.map({ a.key.lexicographicallyPrecedes($0.key) }) ?? true:
                        differences.append(Difference(table: name, key: Array(a.key), live: Array(a.value), rebuilt: nil))
                        l = try left.next()
                    case let (_, b?):
                        differences.append(Difference(table: name, key: Array(b.key), live: nil, rebuilt: Array(b.value)))
                        r = try right.next()
                    default:
                        return  // unreachable: every pair is one of the above
                    }
                }
            }
        }
        return differences
    }
}
