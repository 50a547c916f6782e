import Encoding

/// A Yjs-compatible document: named root types holding maps, arrays and
/// texts, edited in transactions, exchanged as Yjs updates (encoding v1).
///
/// ```swift
/// let doc = Doc(clientID: 1)
/// doc.transact { txn in doc.map("workflow").set("name", .string("Daily"), txn) }
/// let update = doc.encodeStateAsUpdate()
/// let replica = Doc()
/// try replica.applyUpdate(update)
/// ```
///
/// Updates may arrive in any order: structs whose dependencies are missing
/// wait (pending) and are integrated as soon as those arrive.
public final class Doc {
    /// The client this replica's own edits are made as. It changes when a
    /// received update brings structs of this client (another replica is
    /// using the same id: see `cleanup`).
    public private(set) var clientID: UInt64
    let store = StructStore()
    var share: [ExactKey: YType] = [:]
    /// Decoded structs waiting for what they depend on, per client, in clock order.
    var pendingStructs: [UInt64: [AbstractStruct]] = [:]
    /// Deletions of structs not yet received.
    var pendingDeletes = DeleteSet()
    /// Whether, since nothing last waited here, two different structs have
    /// claimed one id: a waiting struct whose clocks an earlier waiting one
    /// claims with other units (`sameUnits`), or one at a held id that
    /// names something missing (which the held struct did not). No honest
    /// peer writes them; while they wait, which one a replica keeps depends
    /// on the order updates come in, and an update applied twice may
    /// integrate the other the second time, in Yjs too (docs/documents.md,
    /// "Hostile updates"). Once nothing waits, no such choice is left. For
    /// the fuzz targets, which hold such documents to fewer properties.
    public private(set) var sawTwoStructsForOneId = false
    /// Whether `offer` stopped a lane at a held struct during this `integrate`.
    private var heldStructStoppedALane = false
    /// Stretches of the lists already walked to a right neighbour
    /// (`Transaction.reaches`): by the neighbour's first unit, the first
    /// unit of each item known to lie before it, with whether the
    /// neighbour's origin lies from that item up to it. Kept across
    /// transactions, since a writer's keystrokes that arrive one update
    /// each walk the same stretch; keyed by units, not objects, since
    /// objects are freed when collected. Items never move and a split
    /// leaves each unit where it was, so an answer stays true (a unit that
    /// no longer starts an item is just not asked). Emptied past
    /// `lyingBeforeLimit` entries, which costs only walks.
    var lyingBefore: [ID: [ID: Bool]] = [:]
    var lyingBeforeCount = 0
    static let lyingBeforeLimit = 1 << 20
    /// Replace deleted content with its length at the end of each transaction.
    public var gc = true
    /// Whether typing on extends this client's newest text item in place
    /// (off only in tests, to compare against the general path).
    var extendsTyping = true
    private var observers: [(Transaction) -> Void] = []
    private var updateObservers: [([UInt8]) -> Void] = []
    private var current: Transaction?

    /// How deep shared types may nest: a type set in a root is at depth 1.
    public static let maxNestingDepth = 512
    /// How many clients a document may hold, and so one update may name.
    public static let maxClients = 100_000
    /// `maxNestingDepth`, raised only by tests (to build deeper documents).
    var nestingLimit = Doc.maxNestingDepth

    /// A document with a random client id (32 bits, as Yjs picks them).
    public init(clientID: UInt64 = UInt64(UInt32.random(in: 0...UInt32.max))) {
        self.clientID = clientID
    }

    /// Whether an item holding a nested type was ever integrated.
    var holdsNestedTypes = false

    /// The struct graph has no reference cycles: the store owns every
    /// struct; a type owns its first item, map entries and marker, and an
    /// item owns a nested type through its content, but an item's links and
    /// its parent are not owned (see `Item`). So all of it goes with the
    /// document, but along the chains nested types form (item -> its type ->
    /// the type's items -> their types...), one level of freeing inside the
    /// other, which a deep document would take past the stack. Detaching
    /// every type first cuts those chains, and leaves a type that something
    /// still holds (a `YValue.other`) empty instead of pointing into freed
    /// structs. Without nested types only the roots are detached.
    deinit {
        for type in share.values { type.detach() }
        guard holdsNestedTypes else { return }
        for list in store.clients.values {
            for s in list.structs {
                if let item = s.asItem, item.holdsType, case .type(let type) = item.content { type.detach() }
            }
        }
    }

    /// The root type `name`, created on first use.
    func root(_ name: String, kind: YType.Kind = .unknown) -> YType {
        if let type = share[ExactKey(name)] {
            if type.kind == .unknown && kind != .unknown { type.kind = kind }
            return type
        }
        let type = YType(kind: kind)
        type.rootName = name
        type.doc = self
        share[ExactKey(name)] = type
        return type
    }

    public func map(_ name: String) -> YMap { YMap(type: root(name, kind: .map), doc: self) }
    public func array(_ name: String) -> YArray { YArray(type: root(name, kind: .array), doc: self) }
    public func text(_ name: String) -> YText { YText(type: root(name, kind: .text), doc: self) }

    /// Names of the roots the document holds (declared or received).
    public var rootNames: [String] { share.keys.sorted().map(\.string) }

    /// Calls `observer` once after every transaction, with what it changed.
    public func observe(_ observer: @escaping (Transaction) -> Void) { observers.append(observer) }

    /// Calls `observer` after every transaction that changed something, with
    /// that transaction's own update (its new structs and its deletions):
    /// what Yjs emits as `doc.on('update')` and y-protocols sends to peers.
    public func observeUpdates(_ observer: @escaping ([UInt8]) -> Void) { updateObservers.append(observer) }

    /// Runs `body` in a transaction (joining the current one if any).
    @discardableResult
    public func transact<T>(local: Bool = true, _ body: (Transaction) throws -> T) rethrows -> T {
        if let current { return try body(current) }
        let txn = Transaction(doc: self, local: local)
        current = txn
        defer {
            current = nil
            cleanup(txn)
        }
        return try body(txn)
    }

    /// End of a transaction: collect deleted content, merge neighbours, notify.
    private func cleanup(_ txn: Transaction) {
        txn.deleteSet.normalize()
        if gc {
            for (client, ranges) in txn.deleteSet.clients {
                guard let list = store.list(client) else { continue }
                for range in ranges {
                    guard var index = list.structs.index(containing: range.clock) else { continue }
                    while index < list.structs.count, list.structs[index].id.clock < range.clock + range.length {
                        if let item = list.structs[index].asItem, item.isDeleted { collect(item, parentCollected: false) }
                        index += 1
                    }
                }
            }
        }
        mergeNeighbours(txn)
        if !txn.cutPairs.isEmpty { replaceCutPairs(txn) }
        if !txn.isLocal,
            txn.clocksBefore.contains(where: { $0.client == clientID }) || pendingStructs[clientID] != nil
                || pendingDeletes.clients.contains(where: { $0.client == clientID }) || pendingWaitsOn(clientID)
        {
            takeNewClientID()
        }
        if !txn.changedTypes.isEmpty || !txn.deleteSet.isEmpty {
            for observer in observers { observer(txn) }
            if !updateObservers.isEmpty, txn.addedStructs || !txn.deleteSet.isEmpty {
                let update = txn.encodeUpdate()
                for observer in updateObservers { observer(update) }
            }
        }
    }

    /// A received update brought structs of this replica's own client, held
    /// or waiting, or deletions of its clocks not reached yet, or waiting
    /// structs that name such a clock as a neighbour or parent: another
    /// replica edits as the same client (ids are 32 random bits), or a
    /// peer forged them. Editing on as that client would give two different
    /// structs one id, which replicas never reconcile, and its next clocks
    /// would fill the gap a waiting struct or deletion is waiting on, here
    /// but not where this document's state is loaded (which deletes the
    /// new edits at once). So, as Yjs does after such a transaction, this
    /// replica takes a new id, one nothing here names (docs/documents.md,
    /// "Hostile updates").
    private func takeNewClientID() {
        // A new id that waiting structs name would put the same problem back.
        func named(_ client: UInt64) -> Bool {
            store.list(client) != nil || pendingStructs[client] != nil
                || pendingDeletes.clients.contains(where: { $0.client == client }) || pendingWaitsOn(client)
        }
        var next: UInt64
        repeat {
            next = UInt64(UInt32.random(in: 0...UInt32.max))
        } while next == clientID || named(next)
        clientID = next
    }

    /// Whether a waiting struct depends on a clock of `client` not reached
    /// yet (as origin, right origin or parent). Only a remote update can
    /// satisfy such a wait, unless `client` is this replica's own: then its
    /// next local edit would, here but not in a copy of its state, where the
    /// struct integrates on load. One pass over the waiting structs, which
    /// every remote update re-offers anyway.
    private func pendingWaitsOn(_ client: UInt64) -> Bool {
        guard !pendingStructs.isEmpty else { return false }
        let reached = store.state(client)
        func beyond(_ id: ID?) -> Bool { id.map { $0.client == client && $0.clock >= reached } ?? false }
        return pendingStructs.values.contains { structs in
            structs.contains { s in
                guard let item = s.asItem else { return false }
                return beyond(item.origin) || beyond(item.rightOrigin) || beyond(item.pendingParentItem)
            }
        }
    }

    /// Drops a deleted item's payload (Yjs's `Item.gc`). A nested type's
    /// items are collected with it and replaced by GC ranges, and the type
    /// is detached (a handle may still hold it); with a worklist, not
    /// recursion, as types may nest deeply.
    private func collect(_ item: Item, parentCollected: Bool) {
        guard item.holdsType else { return collectOne(item, parentCollected: parentCollected) }
        var work: [(item: Item, parentCollected: Bool)] = [(item, parentCollected)]
        while let next = work.popLast() {
            let current = next.item
            if current.holdsType, case .type(let type) = current.content {
                var child = type.start
                while let c = child {
                    work.append((c, true))
                    child = c.right
                }
                for entry in type.map.values {
                    var e: Item? = entry
                    while let c = e {
                        work.append((c, true))
                        e = c.left
                    }
                }
                type.detach()
            }
            collectOne(current, parentCollected: next.parentCollected)
        }
    }

    private func collectOne(_ item: Item, parentCollected: Bool) {
        if parentCollected {
            store.replace(item, with: GCStruct(id: item.id, length: item.length))
        } else if item.contentRef != Content.refDeleted {
            item.collectContent()
        }
    }

    /// Surrogate pairs that splits cut while neighbours were resolved
    /// (`Transaction.defersCutPairs`) and that did not merge back: their
    /// halves become U+FFFD, as Yjs makes them at the split. Each half
    /// that still holds text, whatever became of the other (deleted and
    /// collected in the same transaction: Yjs had replaced it before). A
    /// client's structs are contiguous, so the struct before the one at the
    /// cut ends there.
    private func replaceCutPairs(_ txn: Transaction) {
        for cut in txn.cutPairs {
            guard let list = store.list(cut.client), let index = list.structs.index(containing: cut.clock), index > 0,
                list.structs[index].id.clock == cut.clock  // else merged back: the pair is whole
            else { continue }
            var left: TextUnits?
            var right: TextUnits?
            if let item = list.structs[index - 1].asItem, case .string(let units) = item.content { left = units }
            if let item = list.structs[index].asItem, case .string(let units) = item.content { right = units }
            TextUnits.replaceCutPair(left, right)
        }
    }

    /// Scratch for `mergeNeighbours`: (client, lowest index, highest index).
    @exclusivity(unchecked) private var mergeSpans: [(client: UInt64, low: Int, high: Int)] = []

    /// Merges structs the transaction created, split or deleted with their
    /// left neighbour where Yjs would (same client, consecutive, same state),
    /// keeping the store small. Only those positions are looked at.
    private func mergeNeighbours(_ txn: Transaction) {
        // The index spans to look at, all taken before any merge: walking
        // each client's indexes from right to left, a merge at i removes
        // only index i, so every index still to visit stays valid. One flat
        // list kept between transactions: most transactions have a span or
        // two, and allocating per transaction cost more than the merging.
        mergeSpans.removeAll(keepingCapacity: true)
        for (client, before) in txn.clocksBefore {
            guard let list = store.list(client), let first = list.structs.index(containing: before) else { continue }
            mergeSpans.append((client, first, list.structs.count - 1))
        }
        for item in txn.mergeCandidates {
            guard let list = store.list(item.id.client), let index = list.structs.index(containing: item.id.clock)
            else { continue }
            mergeSpans.append((item.id.client, index, index))
        }
        for (client, ranges) in txn.deleteSet.clients {
            guard let list = store.list(client) else { continue }
            for range in ranges {
                guard let low = list.structs.index(containing: range.clock) else { continue }
                // Up to and including the struct just after the range (it may merge into the range's last).
                let high = list.structs.index(containing: range.clock + range.length) ?? list.structs.count - 1
                mergeSpans.append((client, low, high))
            }
        }
        if mergeSpans.count > 1 {
            mergeSpans.sort { $0.client != $1.client ? $0.client < $1.client : $0.high > $1.high }
        }
        var k = 0
        while k < mergeSpans.count {
            let client = mergeSpans[k].client
            guard let list = store.list(client) else { break }  // every span's list exists
            var next = Int.max  // the lowest index of this client visited so far
            while k < mergeSpans.count, mergeSpans[k].client == client {
                let span = mergeSpans[k]
                var i = min(span.high, next - 1)
                while i >= max(span.low, 1) {
                    mergeWithLeft(list, i)
                    i -= 1
                }
                next = min(next, max(span.low, 1))
                k += 1
            }
        }
    }

    /// Merges the struct at `i` into the one before it if Yjs would.
    private func mergeWithLeft(_ list: StructStore.List, _ i: Int) {
        let leftStruct = list.structs[i - 1]
        let rightStruct = list.structs[i]
        if let left = leftStruct.asItem, let right = rightStruct.asItem {
            guard left.canMerge(with: right), left.content.merge(right.content) else { return }
            if let parent = left.parent, let marker = parent.marker, marker.item === right {
                // The marker pointed at the merged part: point at the whole, before it.
                parent.marker = left.isDeleted || !left.isCountable ? nil : (left, marker.index - left.length)
            }
            left.length += right.length
            left.right = right.right
            right.right?.left = left
            if let sub = left.parentSub.map(ExactKey.init), left.parent?.map[sub] === right { left.parent?.map[sub] = left }
            list.structs.remove(at: i)
        } else if leftStruct.isGC, rightStruct.isGC {
            leftStruct.length += rightStruct.length
            list.structs.remove(at: i)
        }
    }

    // MARK: Updates

    /// The document's state vector: the next clock expected from each client.
    public var stateVector: [UInt64: UInt64] { store.stateVector }

    public func encodeStateVector() -> [UInt8] {
        var w = ByteWriter()
        UpdateEncoder.writeStateVector(store.stateVector, into: &w)
        return w.bytes
    }

    /// Everything the document has that a peer with `stateVector` lacks
    /// (everything when `nil`), as one update; deletions are always included whole.
    ///
    /// - Parameter includingPending: also the structs and deletions still
    ///   waiting for what they depend on, as Yjs's `encodeStateAsUpdate`
    ///   always does: whoever applies the result holds them pending in turn.
    ///   A store that replaces its updates by this state must ask for them
    ///   (docs/documents.md, "Compaction"); a diff for a peer need not.
    public func encodeStateAsUpdate(stateVector: [UInt8]? = nil, includingPending: Bool = false) throws(YDocError) -> [UInt8] {
        let sv = try stateVector.map(UpdateEncoder.readStateVector) ?? [:]
        return encodeStateAsUpdate(from: sv, includingPending: includingPending)
    }

    func encodeStateAsUpdate(from sv: [UInt64: UInt64], includingPending: Bool = false) -> [UInt8] {
        var w = ByteWriter(capacity: 1024)
        guard includingPending, !pendingStructs.isEmpty || !pendingDeletes.isEmpty else {
            UpdateEncoder.writeStructs(store, from: sv, into: &w)
            DeleteSet(store: store).write(&w)
            return w.bytes
        }
        UpdateEncoder.writeStructs(store, pending: pendingStructs, from: sv, into: &w)
        var deletes = DeleteSet(store: store)
        for (client, ranges) in pendingDeletes.clients {
            for range in ranges { deletes.add(client, range.clock, range.length) }
        }
        deletes.normalize()
        deletes.write(&w)
        return w.bytes
    }

    /// Throws what `applyUpdate` would throw for `update`, changing nothing:
    /// a holder that must store an update before applying it (the sync hub)
    /// checks it first, then stores, then applies, which cannot fail then.
    public func checkUpdate(_ update: [UInt8]) throws(YDocError) {
        let decoded = try UpdateDecoder.decode(update, known: store.state)
        try checkClients(decoded)
        try checkNesting(decoded)
    }

    /// Applies a Yjs v1 update. A malformed one throws and changes nothing,
    /// and so does one past the document's limits (`maxClients`,
    /// `maxNestingDepth`): both are checked before anything is integrated.
    public func applyUpdate(_ update: [UInt8]) throws(YDocError) {
        let decoded = try UpdateDecoder.decode(update, known: store.state)
        try checkClients(decoded)
        try checkNesting(decoded)
        integrate(decoded)
    }

    /// Applies an update that was accepted when it arrived, without the
    /// limits (`maxClients`, `maxNestingDepth`) or the JSON content check
    /// (`UpdateDecoder.requireJSON`): a store replaying what it holds.
    /// Limits guard new input; an update stored before they existed,
    /// or one that passes alone but not after what was stored before it
    /// (the order updates are checked in is not always the order they are
    /// stored in), must still load, or the whole document would be locked
    /// out (docs/documents.md, "Limits"). Nothing here recurses per level,
    /// and integration still keeps a type past `maxNestingDepth` only as a
    /// range (`Transaction.fitsIn`). A malformed update still throws and
    /// changes nothing.
    package func applyStoredUpdate(_ update: [UInt8]) throws(YDocError) {
        integrate(try UpdateDecoder.decode(update, known: store.state, clientLimit: nil, requiresJSON: false))
    }

    private func integrate(_ decoded: DecodedUpdate) {
        transact(local: false) { txn in
            integrate(decoded.structs, txn)
            var deletes = decoded.deletes
            for (client, ranges) in pendingDeletes.clients {
                for r in ranges { deletes.add(client, r.clock, r.length) }
            }
            pendingDeletes = applyDeletes(deletes, txn)
        }
    }

    /// What happened to a struct offered for integration.
    private enum Offer {
        /// Integrated now, or already held.
        case done
        /// It must wait: for a missing struct of its own client (`nil`), or of `client`.
        case waits(for: UInt64?)
    }

    /// Integrates `s` if it is next for its client and what it refers to is present.
    private func offer(_ s: AbstractStruct, _ txn: Transaction) -> Offer {
        let state = store.state(s.id.client)
        if s.id.clock + UInt64(s.length) <= state {
            // Held already, but Yjs asks what a struct names before whether it
            // is held (`integrateStructs`): a struct at a held id that names
            // something missing (another struct at that id, which no honest
            // peer writes) stops its lane, so what follows it goes through
            // the waiting structs, where an older one claiming the same clock
            // wins, as it did the first time the update came. The held
            // struct itself does not wait (`waiting`).
            if let client = stoppingClient(s, txn) {
                sawTwoStructsForOneId = true
                heldStructStoppedALane = true
                return .waits(for: client)
            }
            return .done
        }
        if s.id.clock > state { return .waits(for: nil) }  // a gap: wait for the missing structs
        let offset = Int(state - s.id.clock)
        if s.isItem {
            // A cast, not `asItem`: binding an optional would retain it.
            let item = unsafeDowncast(s, to: Item.self)
            if offset > 0 { Transaction.dropHeldPart(item, offset) }
            if let dependency = txn.missing(item) { return .waits(for: dependency) }
            txn.integrate(item)
        } else {
            s.id.clock += UInt64(offset)
            s.length -= offset
            store.add(s, txn)
        }
        return .done
    }

    /// Integrates incoming structs, then what waited before, in any causal
    /// order until no more can be; the rest waits. In Yjs's phases
    /// (`readUpdateV2`): the update's own structs first; what of them cannot
    /// integrate joins the waiting ones (`waiting(_:then:)`); and those are
    /// offered again, as Yjs applies its pending update again. So an
    /// update's struct takes its clock before a waiting struct that claims
    /// the same clock (which no honest peer writes: two structs, one id),
    /// and an update applied twice changes nothing the second time.
    private func integrate(_ incoming: [(client: UInt64, structs: [AbstractStruct])], _ txn: Transaction) {
        let before = pendingStructs
        pendingStructs = [:]
        heldStructStoppedALane = false
        let rest = integrateLanes(incoming, txn)
        let queue = waiting(before, then: rest, txn)
        defer { if pendingStructs.isEmpty { sawTwoStructsForOneId = false } }
        // Nothing waited before: what waits now could not integrate, unless
        // a held struct stopped its lane (`offer`). Then it is offered again,
        // as a copy loading this document's state would offer it: the held
        // struct itself does not wait (the store holds its id, and the
        // state cannot carry it).
        guard !before.isEmpty || heldStructStoppedALane else {
            pendingStructs = queue
            return
        }
        let lanes = queue.sorted { $0.key < $1.key }.map { (client: $0.key, structs: $0.value) }
        pendingStructs = waiting(integrateLanes(lanes, txn, inOrderFirst: false), then: [:], txn)
    }

    /// The client `s` waits for although the store holds all of it: an
    /// item naming a struct of another client not held yet (Yjs's
    /// `getMissing`, which it asks first). `nil` when it names nothing
    /// missing, or only units of its own not made yet (`Transaction.missing`).
    private func stoppingClient(_ s: AbstractStruct, _ txn: Transaction) -> UInt64? {
        guard s.isItem else { return nil }
        // A cast, not `asItem`: binding an optional would retain it.
        let item = unsafeDowncast(s, to: Item.self)
        guard !txn.namesOwnFuture(item) else { return nil }
        return Transaction.missingClient(item, state: store.state)
    }

    /// What waits after `older` and then `newer` waited: the two merged as
    /// Yjs merges its waiting structs with an update's rest
    /// (`WaitingMerge`), each struct without the part another claims.
    ///
    /// What the store holds is cut off first, as the document's state
    /// (`encodeStateAsUpdate(includingPending:)`) leaves it out, so a
    /// document and a copy loaded from its state wait on the same structs,
    /// and a stored document compacted into its state (docs/documents.md,
    /// "Compaction") stays the document it was. Cut before the merge: a
    /// held struct claiming clocks there would make the result depend on
    /// whether an update repeated what the document holds (a diff for a
    /// room leaves it out; the update a store replays may carry it). Yjs
    /// keeps a struct it holds whole waiting when it names something
    /// missing, so there what follows stays stopped, and its own copy
    /// differs (finding 19); such structs rival the held one for its id
    /// (`sawTwoStructsForOneId`).
    private func waiting(
        _ older: [UInt64: [AbstractStruct]], then newer: [UInt64: [AbstractStruct]], _ txn: Transaction
    ) -> [UInt64: [AbstractStruct]] {
        let older = withoutHeldParts(older, txn)
        let newer = withoutHeldParts(newer, txn)
        // One source alone is its own merge (Yjs keeps the rest as it is).
        if older.isEmpty || newer.isEmpty { return older.isEmpty ? newer : older }
        return WaitingMerge.merge(older, newer) { s, overlapped in
            if !sawTwoStructsForOneId, overlapped.contains(where: { !Self.sameUnits(s, $0) }) {
                sawTwoStructsForOneId = true
            }
        }
    }

    /// `structs` without what the store holds: a struct held whole is
    /// dropped, one held in part loses that part.
    private func withoutHeldParts(_ structs: [UInt64: [AbstractStruct]], _ txn: Transaction) -> [UInt64: [AbstractStruct]] {
        var out: [UInt64: [AbstractStruct]] = [:]
        for (client, list) in structs {
            let held = store.state(client)
            var kept: [AbstractStruct] = []
            kept.reserveCapacity(list.count)
            for s in list {
                if s.id.clock + UInt64(s.length) <= held {
                    if stoppingClient(s, txn) != nil { sawTwoStructsForOneId = true }
                    continue
                }
                if s.id.clock < held { WaitingMerge.cut(s, Int(held - s.id.clock)) }
                kept.append(s)
            }
            if !kept.isEmpty { out[client] = kept }
        }
        return out
    }

    /// Whether waiting structs `a` and `b`, which overlap, hold the same
    /// units where they do, as the wire would write them from there: the
    /// same update come twice while it waits, or one writer's structs in
    /// pieces that end apart (a transaction, and a step 2 that a peer
    /// computed against another state vector and the hub relays as it came).
    static func sameUnits(_ a: AbstractStruct, _ b: AbstractStruct) -> Bool {
        let from = max(a.id.clock, b.id.clock)
        let to = min(a.id.clock + UInt64(a.length), b.id.clock + UInt64(b.length))
        guard from < to else { return true }
        guard let x = a.asItem, let y = b.asItem else { return !a.isItem && !b.isItem }
        // Past its first unit, a struct is written with the unit before as its origin.
        func origin(_ item: Item) -> ID? { from > item.id.clock ? ID(client: item.id.client, clock: from - 1) : item.origin }
        func parent(_ item: Item) -> (root: String?, item: ID?, key: String?) {
            guard let type = item.parent else { return (item.pendingRoot, item.pendingParentItem, item.parentSub) }
            if let owner = type.item { return (nil, owner.id, item.parentSub) }
            return (type.rootName ?? "", nil, item.parentSub)
        }
        guard origin(x) == origin(y), x.rightOrigin == y.rightOrigin, x.contentRef == y.contentRef else { return false }
        // A parent (and key) is written only where neither neighbour is.
        if origin(x) == nil, x.rightOrigin == nil {
            let (p, q) = (parent(x), parent(y))
            guard p.item == q.item, p.root.isSameKey(as: q.root), p.key.isSameKey(as: q.key) else { return false }
        }
        return x.content.sameUnits(from: Int(from - x.id.clock), as: y.content, from: Int(from - y.id.clock), count: Int(to - from))
    }

    /// Integrates `incoming` in any causal order until no more can be;
    /// returns what could not, by client.
    private func integrateLanes(
        _ incoming: [(client: UInt64, structs: [AbstractStruct])], _ txn: Transaction, inOrderFirst: Bool = true
    ) -> [UInt64: [AbstractStruct]] {
        // One lane per client, in clock order. A lane blocked on another
        // client's struct drains that client first (depth first, as Yjs
        // does), so interleaved clients take one pass, not one per switch.
        // An update lists each client's structs in clock order, so the
        // decoded arrays are used as they are.
        if inOrderFirst, incoming.count == 1, let (client, structs) = incoming.first {
            // One client's structs following on from what we have (a peer's
            // transaction): integrate in order, no lanes to build.
            var i = 0
            while i < structs.count, case .done = offer(structs[i], txn) { i += 1 }
            if i == structs.count { return [:] }
            return integrateLanes([(client, Array(structs[i...]))], txn, inOrderFirst: false)
        }
        // By client, in dictionaries: an update may name many clients, and
        // searching lists for each would make applying it quadratic.
        var lanes: [(client: UInt64, structs: [AbstractStruct], head: Int)] = incoming.sorted { $0.client < $1.client }.map { lane in
            var structs = lane.structs
            if !structs.indices.dropFirst().allSatisfy({ structs[$0 - 1].id.clock <= structs[$0].id.clock }) {
                structs.sort { $0.id.clock < $1.id.clock }
            }
            store.reserve(lane.client, more: structs.count)
            return (lane.client, structs, 0)
        }
        var laneOf: [UInt64: Int] = [:]
        for (index, lane) in lanes.enumerated() { laneOf[lane.client] = index }
        var progress = true
        while progress {
            progress = false
            // A lane that stopped without another lane to wait on is done for this pass.
            var stopped = [Bool](repeating: false, count: lanes.count)
            var onStack = [Bool](repeating: false, count: lanes.count)
            for first in lanes.indices where !stopped[first] {
                var stack = [first]
                onStack[first] = true
                while let l = stack.last {
                    let structs = lanes[l].structs  // read once: indexing through the tuple retains per access
                    var head = lanes[l].head
                    defer { lanes[l].head = head }
                    var waitFor: Int?
                    while head < structs.count {
                        if case .waits(let dependency) = offer(structs[head], txn) {
                            if let dependency, let d = laneOf[dependency], !stopped[d], !onStack[d] { waitFor = d }
                            break
                        }
                        head += 1
                        progress = true
                    }
                    if let waitFor {
                        stack.append(waitFor)
                        onStack[waitFor] = true
                    } else {
                        stopped[l] = true
                        onStack[l] = false
                        stack.removeLast()
                    }
                }
            }
        }
        // All of what is left: `waiting` drops what the store holds and does not stop a lane.
        var rest: [UInt64: [AbstractStruct]] = [:]
        for lane in lanes where lane.head < lane.structs.count {
            rest[lane.client] = Array(lane.structs[lane.head...])
        }
        return rest
    }

    /// Deletes what the ranges cover; returns the ranges about structs not received yet.
    private func applyDeletes(_ ds: DeleteSet, _ txn: Transaction) -> DeleteSet {
        var unapplied = DeleteSet()
        for (client, ranges) in ds.clients {
            let state = store.state(client)
            for range in ranges {
                let end = range.clock + range.length
                if range.clock >= state {
                    unapplied.add(client, range.clock, range.length)
                    continue
                }
                if state < end { unapplied.add(client, state, end - state) }
                guard let list = store.list(client), var index = list.structs.index(containing: range.clock)
                else { continue }
                let first = list.structs[index]
                if let item = first.asItem, !item.isDeleted, item.id.clock < range.clock {
                    let right = txn.split(item, Int(range.clock - item.id.clock))
                    list.structs.insert(right, at: index + 1)
                    index += 1
                }
                while index < list.structs.count {
                    let s = list.structs[index]
                    index += 1
                    guard s.id.clock < end else { break }
                    if let item = s.asItem, !item.isDeleted {
                        if end < item.id.clock + UInt64(item.length) {
                            let right = txn.split(item, Int(end - item.id.clock))
                            list.structs.insert(right, at: index)
                        }
                        txn.delete(item)
                    }
                }
            }
        }
        unapplied.normalize()
        return unapplied
    }
}

extension Doc {
    /// `applyStoredUpdate` for the stored-record fuzz target (Fuzz/README.md,
    /// `fuzz-stored-records`): the update a store replays from its data
    /// folder, without the limits new input gets.
    @_spi(Fuzz) public func applyStoredUpdateForFuzzing(_ update: [UInt8]) throws(YDocError) {
        try applyStoredUpdate(update)
    }
}
