/// The limits an update is checked against before anything of it is
/// integrated, so a refused update leaves the document exactly as it was
/// (docs/documents.md, "Limits").
extension Doc {
    /// Refuses an update that would bring the document past `maxClients`
    /// clients (held, or waiting in pending structs and deletions). The
    /// decoder already refused one naming more; this keeps the document's
    /// own state (one update naming all its clients, the form a store
    /// compacts it to) loadable.
    func checkClients(_ decoded: DecodedUpdate) throws(YDocError) {
        let limit = Doc.maxClients
        let held = store.clients.count
        // Usually far below: no need to tell new clients from known ones.
        let most = held + decoded.structs.count + decoded.deletes.clients.count + pendingStructs.count
            + pendingDeletes.clients.count
        guard most > limit else { return }
        var added = Set<UInt64>()
        func count(_ client: UInt64) {
            if store.list(client) == nil { added.insert(client) }
        }
        for (client, _) in decoded.structs { count(client) }
        for (client, _) in decoded.deletes.clients { count(client) }
        for client in pendingStructs.keys { count(client) }
        for (client, _) in pendingDeletes.clients { count(client) }
        if held + added.count > limit { throw .tooManyClients(count: held + added.count, limit: limit) }
    }

    /// Refuses an update that would place a nested type deeper than the
    /// limit (`maxNestingDepth`), checked on the update, the structs still
    /// pending (the update may complete what they wait for) and the
    /// document.
    ///
    /// Integration finds an item's parent by name (a root), by the item
    /// holding it, or as the parent of its left (else right) neighbour;
    /// here the same is followed through the update, the pending structs
    /// and the store, to the depth of each nested type that would be
    /// integrated. A type whose parent cannot be found waits, and is
    /// checked when what it waits for arrives. Integration refuses a type
    /// past the limit too (`Transaction.fitsIn`), should one get by.
    func checkNesting(_ decoded: DecodedUpdate) throws(YDocError) {
        let pendingTypes = pendingStructs.values.contains { $0.contains { $0.asItem?.holdsType ?? false } }
        // Only a nested type can deepen the nesting.
        guard decoded.holdsTypes || pendingTypes else { return }
        var check = NestingCheck(doc: self, decoded: decoded)
        let limit = nestingLimit
        for (_, structs) in decoded.structs { try check.checkTypes(in: structs, limit: limit) }
        for (_, structs) in pendingStructs.sorted(by: { $0.key < $1.key }) { try check.checkTypes(in: structs, limit: limit) }
    }
}

/// The depth of the parents of the structs an update brings (see
/// `Doc.checkNesting`), found without recursion: a chain of neighbours or
/// of nested types may be as long as the update.
private struct NestingCheck {
    let doc: Doc
    /// The update's and the pending structs of each client, in clock order.
    var lanes: [UInt64: [AbstractStruct]] = [:]
    /// The depth of each struct's parent type, once known; `nil` when there
    /// is none to check: it will be garbage, or what it refers to is
    /// missing (it waits), or it is part of a cycle (it waits for ever).
    var parentDepth: [ObjectIdentifier: Int?] = [:]

    init(doc: Doc, decoded: DecodedUpdate) {
        self.doc = doc
        for (client, structs) in decoded.structs { lanes[client, default: []] += structs }
        for (client, structs) in doc.pendingStructs { lanes[client, default: []] += structs }
        for (client, structs) in lanes where !structs.indices.dropFirst().allSatisfy({ structs[$0 - 1].id.clock <= structs[$0].id.clock }) {
            lanes[client] = structs.sorted { $0.id.clock < $1.id.clock }
        }
    }

    mutating func checkTypes(in structs: [AbstractStruct], limit: Int) throws(YDocError) {
        for s in structs {
            guard let item = s.asItem, item.holdsType else { continue }
            // Already held: integration skips it.
            if item.id.clock + UInt64(item.length) <= doc.store.state(item.id.client) { continue }
            if let depth = depth(ofParentOf: item), depth + 1 > limit {
                throw .nestedTooDeeply(client: item.id.client, clock: item.id.clock, limit: limit)
            }
        }
    }

    /// What an item's parent is, one step at a time.
    private enum Step {
        /// Its parent's depth is known (or there is nothing to check).
        case known(Int?)
        /// Its parent is that of this struct of the update (plus `deeper`:
        /// 1 when the struct is the item holding the parent type).
        case follow(AbstractStruct, deeper: Int)
    }

    private func step(_ item: Item) -> Step {
        if item.awaitsParent {
            if item.pendingRoot != nil { return .known(0) }
            guard let parentID = item.pendingParentItem else { return .known(nil) }
            return look(parentID) { held in
                guard held.holdsType, case .type(let type) = held.content else { return nil }
                return type.depth
            } inUpdate: { found in
                guard let holder = found.asItem, holder.holdsType else { return .known(nil) }  // garbage
                return .follow(holder, deeper: 1)
            }
        }
        // From the left neighbour, else the right one, as integration does.
        guard let neighbour = item.origin ?? item.rightOrigin else { return .known(nil) }
        return look(neighbour) { held in held.parent?.depth } inUpdate: { .follow($0, deeper: 0) }
    }

    /// The struct `id` names: in the document (then `held` tells the
    /// depth), else among the update's and the pending structs.
    private func look(_ id: ID, held: (Item) -> Int?, inUpdate: (AbstractStruct) -> Step) -> Step {
        if id.clock < doc.store.state(id.client) {
            guard let item = doc.store.find(id)?.asItem else { return .known(nil) }  // collected: garbage
            return .known(held(item))
        }
        guard let structs = lanes[id.client], let found = Self.search(structs, id.clock) else { return .known(nil) }
        return inUpdate(found)
    }

    private static func search(_ structs: [AbstractStruct], _ clock: UInt64) -> AbstractStruct? {
        var low = 0
        var high = structs.count - 1
        while low <= high {
            let mid = (low + high) / 2
            let s = structs[mid]
            if clock < s.id.clock {
                high = mid - 1
            } else if clock >= s.id.clock + UInt64(s.length) {
                low = mid + 1
            } else {
                return s
            }
        }
        return nil
    }

    /// The depth of `item`'s parent: follows the chain of steps to one
    /// whose answer is known, then gives every struct on the way its own.
    mutating func depth(ofParentOf item: Item) -> Int? {
        var chain: [(key: ObjectIdentifier, deeper: Int)] = []
        var current: AbstractStruct = item
        var answer: Int?
        while true {
            let key = ObjectIdentifier(current)
            if let known = parentDepth[key] {
                answer = known  // also a cycle (marked below): nothing to check
                break
            }
            parentDepth[key] = .some(nil)  // in progress: a cycle ends here
            guard let currentItem = current.asItem else {  // a GC range: its followers are garbage
                chain.append((key, 0))
                answer = nil
                break
            }
            switch step(currentItem) {
            case .known(let depth):
                chain.append((key, 0))
                answer = depth
            case .follow(let next, let deeper):
                chain.append((key, deeper))
                current = next
                continue
            }
            break
        }
        // Each link's parent is `deeper` levels below the next one's, and
        // the last link's next answered `answer` (or the last link did).
        var depth = answer
        for link in chain.reversed() {
            depth = depth.map { $0 + link.deeper }
            parentDepth[link.key] = .some(depth)
        }
        return depth
    }
}
