/// Every struct of the document, per client, in clock order without gaps.
final class StructStore {
    /// One list per client, a class so in-place edits never copy the array.
    final class List {
        // Exclusivity is not checked at run time on the store's hot fields:
        // the document is confined to one thread and these are never
        // accessed overlapping (a check costs more than the access itself).
        @exclusivity(unchecked) var structs = StructList()
        /// The clock after the last struct (the client's state), kept so the
        /// hottest question in integration needs no struct loaded.
        @exclusivity(unchecked) var end: UInt64 = 0
    }

    private(set) var clients: [UInt64: List] = [:]
    /// The last two lists looked up: integration asks for the same client
    /// many times in a row, or alternates between two clients editing
    /// together, and hashing a UInt64 key costs more than the rest of a
    /// lookup. Lists are never removed, so the cache cannot go stale; and
    /// `clients` owns them, so the cache holds plain pointers, which the
    /// hot paths use without reference counting. A hit leaves the cache
    /// as it is.
    @exclusivity(unchecked) private var lastClient = UInt64.max
    @exclusivity(unchecked) private var lastList: Unmanaged<List>?
    @exclusivity(unchecked) private var previousClient = UInt64.max
    @exclusivity(unchecked) private var previousList: Unmanaged<List>?

    /// `client`'s list, unretained (see the cache).
    @inline(__always)
    func listRef(_ client: UInt64) -> Unmanaged<List>? {
        if client == lastClient { return lastList }
        if client == previousClient { return previousList }
        return lookUp(client)
    }

    func list(_ client: UInt64) -> List? { listRef(client)?.takeUnretainedValue() }

    private func lookUp(_ client: UInt64) -> Unmanaged<List>? {
        guard let found = clients[client] else { return nil }
        previousClient = lastClient
        previousList = lastList
        lastClient = client
        lastList = Unmanaged.passUnretained(found)
        return lastList
    }

    /// The next clock expected from `client` (Yjs's `getState`).
    func state(_ client: UInt64) -> UInt64 {
        assert(list(client).map { $0.end == $0.structs.last.map { $0.id.clock + UInt64($0.length) } ?? 0 } ?? true,
            "client \(client)'s end is stale")
        guard let list = listRef(client) else { return 0 }
        return list._withUnsafeGuaranteedRef { $0.end }
    }

    /// The newest struct of `client` grew by `count` (typing on extends it in place).
    func lastGrew(_ client: UInt64, by count: Int) {
        list(client)?.end += UInt64(count)
    }

    var stateVector: [UInt64: UInt64] {
        var sv: [UInt64: UInt64] = [:]
        for (client, list) in clients {
            if let last = list.structs.last { sv[client] = last.id.clock + UInt64(last.length) }
        }
        return sv
    }

    /// Makes room for `count` more structs of `client` (an update about to be integrated).
    func reserve(_ client: UInt64, more count: Int) {
        let list: List
        if let existing = self.list(client) {
            list = existing
        } else {
            list = List()
            clients[client] = list
        }
        // Never exactly what is needed: that would defeat the array's
        // geometric growth when updates arrive one small one at a time.
        let needed = list.structs.count + count
        if needed > list.structs.capacity { list.structs.reserveCapacity(Swift.max(needed, 2 * list.structs.capacity)) }
    }

    /// Appends `s`, which starts at its client's state. It cannot start
    /// anywhere else: `Doc.offer` integrates a struct only if it starts at
    /// or below the state and ends above it, and cuts it at the state
    /// (`offset`); between that and this call `missing` and `integrate`
    /// only split structs, which changes no state; a local item takes the
    /// state as its clock just before it is integrated. A struct anywhere
    /// else would leave a gap or an overlap in the client's clocks, which
    /// every lookup relies on not having, and an item linked into its type
    /// but not owned by the store: a precondition, not an error to recover from.
    func add(_ s: AbstractStruct, _ txn: Transaction) {
        let expected = state(s.id.client)
        precondition(s.id.clock == expected, "struct (\(s.id.client), \(s.id.clock)) added at state \(expected)")
        txn.willAdd(client: s.id.client, clock: expected)
        if let list = listRef(s.id.client) {
            list._withUnsafeGuaranteedRef { list in
                list.structs.append(s)
                list.end = s.id.clock + UInt64(s.length)
            }
        } else {
            let list = List()
            list.structs.append(s)
            list.end = s.id.clock + UInt64(s.length)
            clients[s.id.client] = list
        }
    }

    func find(_ id: ID) -> AbstractStruct? {
        guard let list = list(id.client), let index = list.structs.index(containing: id.clock) else { return nil }
        return list.structs[index]
    }

    /// The item starting exactly at `id`, splitting the one containing it
    /// if needed. Unretained: the store keeps it.
    func itemCleanStart(_ id: ID, _ txn: Transaction) -> Unmanaged<AbstractStruct>? {
        guard let list = listRef(id.client) else { return nil }
        return list._withUnsafeGuaranteedRef { list -> Unmanaged<AbstractStruct>? in
            guard let index = list.structs.index(containing: id.clock) else { return nil }
            let s = list.structs.unretained(at: index)
            guard s.clock < id.clock, s.isItem else { return s }
            let item = s.takeUnretainedValue().asItem.unsafelyUnwrapped
            let right = txn.split(item, Int(id.clock - item.id.clock))
            list.structs.insert(right, at: index + 1)
            return Unmanaged.passUnretained(right)
        }
    }

    /// The item ending exactly at `id`, splitting the one containing it if
    /// needed. Unretained: the store keeps it.
    func itemCleanEnd(_ id: ID, _ txn: Transaction) -> Unmanaged<AbstractStruct>? {
        guard let list = listRef(id.client) else { return nil }
        return list._withUnsafeGuaranteedRef { list -> Unmanaged<AbstractStruct>? in
            guard let index = list.structs.index(containing: id.clock) else { return nil }
            let s = list.structs.unretained(at: index)
            guard id.clock != s.lastClock, s.isItem else { return s }
            let item = s.takeUnretainedValue().asItem.unsafelyUnwrapped
            let right = txn.split(item, Int(id.clock - item.id.clock) + 1)
            list.structs.insert(right, at: index + 1)
            return s
        }
    }

    func replace(_ old: AbstractStruct, with new: AbstractStruct) {
        guard let list = list(old.id.client), let index = list.structs.index(containing: old.id.clock) else { return }
        list.structs[index] = new
    }
}
