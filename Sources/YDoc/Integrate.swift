/// YATA integration, after Yjs's `Item.getMissing` and `Item.integrate`
/// (yjs v13.6, src/structs/Item.js), case by case.
extension Transaction {
    /// The client whose struct this item still waits for, or `nil` when
    /// everything it refers to is present — in which case its left and right
    /// neighbours and its parent are resolved (splitting items as needed).
    func missing(_ item: Item) -> UInt64? {
        // A neighbour or parent of its own client at its own clock or later:
        // no honest peer names a unit of its own that it has not made yet.
        // Looked up while the struct integrates, such a unit is missing here
        // and, once a split holds the pieces apart, present where the state
        // is loaded, so the two would place it differently: a range instead
        // (docs/documents.md, "Hostile updates").
        if namesOwnFuture(item) {
            item.parent = nil
            item.clearPendingParent()
            return nil
        }
        if let client = Self.missingClient(item, state: store.state) { return client }
        // Crossed neighbours, which no honest peer writes: the right origin
        // inside the struct that ends at the origin. Where the YATA walk
        // would put such an item depends on how each replica's structs
        // happen to be split, so it is kept as a range instead. Asked before
        // anything is split (other crossings are found by
        // `resolveConflicts`): a split can change content (a surrogate
        // pair cut in two becomes U+FFFD twice, as in Yjs), and the range
        // this replica then sends names no neighbour, so a replica that
        // gets it would not make the same cut (fuzz finding 22).
        if let origin = item.origin, let right = item.rightOrigin, crossesOrigin(right, origin) {
            item.parent = nil
            item.clearPendingParent()
            return nil
        }
        // Everything is there: resolve references. The structs are looked
        // at through unretained pointers: the store keeps them.
        var leftStruct: Unmanaged<AbstractStruct>?
        var rightStruct: Unmanaged<AbstractStruct>?
        defersCutPairs = true
        defer { defersCutPairs = false }
        if let origin = item.origin {
            leftStruct = store.itemCleanEnd(origin, self)
            item.leftRef = leftStruct?.asItem
            if let l = leftStruct { item.origin = l.lastID }
        }
        if let rightOrigin = item.rightOrigin {
            rightStruct = store.itemCleanStart(rightOrigin, self)
            item.rightRef = rightStruct?.asItem
            if let r = rightStruct { item.rightOrigin = r.id }
        }
        if (leftStruct?.isGC ?? false) || (rightStruct?.isGC ?? false) {
            item.parent = nil
            item.clearPendingParent()
        } else if !item.awaitsParent {
            // No parent on the wire: take the neighbours' (unless collected).
            if let l = leftStruct?.asItem ?? rightStruct?.asItem {
                l._withUnsafeGuaranteedRef { neighbour in
                    item.parentRef = neighbour.parentRef
                    if neighbour.isKeyed { item.parentSub = neighbour.parentSub }
                }
            }
        } else {
            if let name = item.pendingRoot {
                item.parent = doc.root(name)
            } else if let parentID = item.pendingParentItem, let parentItem = store.find(parentID)?.asItem,
                parentItem.holdsType, case .type(let type) = parentItem.content
            {
                item.parent = type
            } else {
                item.parent = nil  // the parent was collected: this item is garbage too
            }
            item.clearPendingParent()
        }
        if item.parentRef != nil, !(agrees(item, leftStruct?.asItem) && agrees(item, rightStruct?.asItem)) {
            item.parent = nil  // neighbours elsewhere than its parent: kept only as a range
        }
        return nil
    }

    @inline(__always)
    private func namesOwnFuture(_ id: ID?, _ item: Item) -> Bool {
        guard let id else { return false }
        return id.client == item.id.client && id.clock >= item.id.clock
    }

    func namesOwnFuture(_ item: Item) -> Bool {
        namesOwnFuture(item.origin, item) || namesOwnFuture(item.rightOrigin, item)
            || namesOwnFuture(item.pendingParentItem, item)
    }

    /// The client of the first struct `item` names (origin, right origin,
    /// parent) that `state` does not hold yet, as Yjs's `getMissing` asks;
    /// a unit of its own client is never waited for. Nothing is resolved.
    @inline(__always)
    static func missingClient(_ item: Item, state: (UInt64) -> UInt64) -> UInt64? {
        missingClient(of: item.id.client, naming: item.origin, item.rightOrigin, item.pendingParentItem, state: state)
    }

    /// The same, for a struct of `client` not built yet (the decoder's).
    @inline(__always)
    static func missingClient(
        of client: UInt64, naming origin: ID?, _ rightOrigin: ID?, _ parent: ID?, state: (UInt64) -> UInt64
    ) -> UInt64? {
        // Three checks written out: an array of the ids would allocate on
        // every item integrated.
        func missing(_ id: ID?) -> UInt64? {
            guard let id, id.client != client, id.clock >= state(id.client) else { return nil }
            return id.client
        }
        return missing(origin) ?? missing(rightOrigin) ?? missing(parent)
    }

    /// Whether unit `right` lies in the item holding `origin`, from that
    /// item's first unit up to the origin: what would be the left
    /// neighbour once the item is cut after the origin. Crossed neighbours
    /// that the walk in `resolveConflicts` cannot see, because splitting at
    /// the right origin cuts that neighbour short of the origin, so the
    /// right neighbour would look adjacent to it. Every other crossing (the
    /// right neighbour in a struct before the left one, of any client)
    /// leaves the left neighbour whole, and the walk from it to the right
    /// neighbour runs off the list's end. Session 13 followed the chain of
    /// origins back for those, two structs deep, for cost; the walk decides
    /// them completely (docs/documents.md, "Hostile updates"). A collected
    /// struct at the origin makes the item a range anyway.
    func crossesOrigin(_ right: ID, _ origin: ID) -> Bool {
        guard right.client == origin.client, right.clock <= origin.clock, let held = store.find(origin), held.isItem
        else { return false }
        return held.id.clock <= right.clock
    }

    /// Whether `neighbour` lies where `item` is going: the same type, and
    /// the same key or none. An honest peer's neighbours always do (they
    /// were its neighbours there when it was inserted). A hostile update's
    /// may not, and linking the item into a list its parent does not own
    /// would leave it, unretained, pointing at a parent that can be
    /// collected without it (docs/documents.md, "Hostile updates").
    @inline(__always)
    func agrees(_ item: Item, _ neighbour: Unmanaged<Item>?) -> Bool {
        guard let neighbour else { return true }
        return neighbour._withUnsafeGuaranteedRef { n in
            n.parentRef?.toOpaque() == item.parentRef?.toOpaque() && n.isKeyed == item.isKeyed
                && (!n.isKeyed || n.parentSub.isSameKey(as: item.parentSub))
        }
    }

    /// Drops the first `offset` units of `item`, which the store already
    /// holds, or which a struct waiting before it claims (`Doc.waiting`):
    /// what is left follows on from them, so it is the item its own
    /// held part is the origin of, and it takes its parent and key from
    /// there (`missing`), not from the wire. So its original origin and
    /// parent are no longer waited for. An honest peer's partly held struct
    /// loses nothing by this: the held part was integrated with the same
    /// origin, parent and right origin, so they are here. A hostile one
    /// (other content at the same clocks, naming something missing) would
    /// otherwise wait here while the state this document sends, which
    /// slices the struct the same way, integrates at once where a replica
    /// loads it (docs/documents.md, "Hostile updates").
    static func dropHeldPart(_ item: Item, _ offset: Int) {
        item.id.clock += UInt64(offset)
        item.origin = ID(client: item.id.client, clock: item.id.clock - 1)
        var skipped = item.content
        item.content = skipped.splice(offset)  // keep the part from offset on
        item.length -= offset
        item.clearPendingParent()
        item.parentSub = nil
    }

    /// Places `item` in its parent and the store (`missing` resolved it).
    func integrate(_ item: Item) {
        guard let parentRef = item.parentRef,
            parentRef._withUnsafeGuaranteedRef({ fitsIn($0, item) && (!hasConflict(item) || resolveConflicts(item, $0)) })
        else {
            // Its parent is gone (or cannot take it), or its neighbours are
            // crossed (`resolveConflicts`): keep only the range.
            store.add(GCStruct(id: item.id, length: item.length), self)
            return
        }
        // No class reference is held in a local across a call here: the
        // compiler retains and releases such a local around every call
        // (store.add, markChanged...), which made reference counting the
        // bulk of integrating an item. The parent is borrowed through its
        // pointer, and the links are read and written in small functions
        // whose locals end before the next call.
        parentRef._withUnsafeGuaranteedRef { parent in
            let hasRight = link(item, parent)
            let keyed = item.isKeyed
            if !keyed && item.isCountable && !item.isDeleted { parent.length += item.length }
            store.add(item, self)
            if item.holdsType, case .type(let type) = item.content {
                type.item = item
                type.doc = doc
                type.depth = parent.depth + 1
                doc.holdsNestedTypes = true
            }
            markChanged(parent)
            if (parent.item?.isDeleted ?? false) || (keyed && hasRight) {
                delete(item)
            }
        }
    }

    /// Whether `item` may go into `parent`. Not into a detached type (the
    /// editing API does not try). Not a nested type deeper than the limit:
    /// `Doc.checkNesting` refuses an update that would place one, before
    /// anything is integrated, so this is reached only by a local edit
    /// nesting that deep (docs/documents.md: it keeps only the range, so
    /// the document and its peers stay within the limit) or by a hostile
    /// update whose neighbours the check reads otherwise than integration.
    @inline(__always)
    private func fitsIn(_ parent: YType, _ item: Item) -> Bool {
        !parent.isDetached && (!item.holdsType || parent.depth < doc.nestingLimit)
    }

    /// Whether items may stand between the item's left and right: then
    /// where it goes among them is for YATA to decide.
    @inline(__always)
    private func hasConflict(_ item: Item) -> Bool {
        if let knownLeft = item.leftRef { return !Unmanaged.same(knownLeft.rightRef, item.rightRef) }
        if let knownRight = item.rightRef { return knownRight.leftRef != nil }
        return true
    }

    /// Moves `item.left` past the concurrent inserts that YATA orders
    /// before it. Returns false when the walk from the left neighbour ran
    /// off the end of the list without meeting the right one: the right
    /// neighbour lies before the left (crossed neighbours). An honest
    /// peer's never do (they were neighbours, in that order, where it
    /// inserted, and items only ever go in between), and where such an
    /// item lands would depend on how each replica's structs are split
    /// (docs/documents.md, "Hostile updates").
    private func resolveConflicts(_ item: Item, _ parent: YType) -> Bool {
        var left = item.left
        var o: Item?
        if let l = left {
            o = l.right
        } else if item.isKeyed, let sub = item.parentSub {
            o = parent.map[ExactKey(sub)]
            while let candidate = o, let l = candidate.left { o = l }
        } else {
            o = parent.start
        }
        // Items between left and right that conflict with this insert.
        var conflicting = Set<ObjectIdentifier>()
        var beforeOrigin = Set<ObjectIdentifier>()
        // The right neighbour's own origin: where it was typed, so at or
        // before our origin for an honest peer, never between (see below).
        let rightsOrigin = item.right?.origin
        var passedRightsOrigin = false
        while let current = o, current !== item.right {
            if let mark = rightsOrigin, !passedRightsOrigin, Self.covers(current, mark) { passedRightsOrigin = true }
            beforeOrigin.insert(ObjectIdentifier(current))
            conflicting.insert(ObjectIdentifier(current))
            if item.origin == current.origin {
                // Case 1: same origin: the lower client goes left.
                if current.id.client < item.id.client {
                    left = current
                    conflicting.removeAll()
                } else if item.rightOrigin == current.rightOrigin {
                    // Same origin and right origin, higher client: this goes before it.
                    break
                }
            } else if let currentOrigin = current.origin, let originItem = store.find(currentOrigin),
                beforeOrigin.contains(ObjectIdentifier(originItem))
            {
                // Case 2: its origin lies between ours and it: it belongs to a run we skip.
                if !conflicting.contains(ObjectIdentifier(originItem)) {
                    left = current
                    conflicting.removeAll()
                }
            } else {
                break
            }
            o = current.right
        }
        // Neighbours no honest peer can name are kept as a range, decided
        // from the whole stretch between them, as every replica has it:
        // - crossed (the right one lies before the left one): the walk
        //   never reaches the right neighbour;
        // - never adjacent: the right neighbour's own origin lies between
        //   them. The right neighbour was typed right after its origin, and
        //   an honest item's neighbours were adjacent when it was typed.
        // Yjs's walk stops at the first item that does not conflict, and
        // which item follows the left neighbour depends on what was
        // integrated first, so a check that looked only as far as the walk
        // went saw these in one replica and not in another (the room kept
        // an item a copy of its state kept as a range). So it goes on to
        // the right neighbour whatever the walk decided.
        if let right = item.right {
            if o !== right {
                guard let passes = reaches(o, right, passing: rightsOrigin) else { return false }
                passedRightsOrigin = passedRightsOrigin || passes
            }
            if passedRightsOrigin { return false }
        }
        item.left = left
        return true
    }

    /// Whether `item` holds the unit `id`.
    @inline(__always)
    private static func covers(_ item: Item, _ id: ID) -> Bool {
        item.id.client == id.client && item.id.clock <= id.clock && id.clock < item.id.clock + UInt64(item.length)
    }

    /// Whether `right` lies at or after `start` in its list (nil when not),
    /// and if so whether unit `mark` (the right neighbour's origin) lies
    /// from `start` up to it. Most walks end at their right neighbour and
    /// never get here; the rest go on from where they stopped, which honest
    /// updates keep short (the items typed concurrently at one place). A
    /// run merged in one update (a writer's offline work), or arriving one
    /// keystroke an update, asks the same question item after item, so the
    /// answers along a stretch walked are kept (`Doc.lyingBefore`; `mark`
    /// is the same for every question about one right neighbour).
    private func reaches(_ start: Item?, _ right: Item, passing mark: ID?) -> Bool? {
        let target = right.id
        var known = doc.lyingBefore[target]
        var walked: [(id: ID, covers: Bool)] = []
        var rest: Bool?
        var current = start
        while let c = current {
            if c === right {
                rest = false
                break
            }
            if let answer = known?[c.id] {
                rest = answer
                break
            }
            walked.append((c.id, mark.map { Self.covers(c, $0) } ?? false))
            current = c.right
        }
        known = nil  // so the entry below is written in place, not copied
        guard var passes = rest else { return nil }
        let remember = walked.count > 4
        if remember {
            if doc.lyingBeforeCount + walked.count > Doc.lyingBeforeLimit {
                doc.lyingBefore.removeAll()
                doc.lyingBeforeCount = 0
            }
            doc.lyingBeforeCount += walked.count
        }
        for step in walked.reversed() {
            passes = passes || step.covers
            if remember { doc.lyingBefore[target, default: [:]][step.id] = passes }
        }
        return passes
    }

    /// Links `item` into its parent's list after `item.left` (or where a
    /// map key's items end); returns whether it has a right neighbour.
    @inline(__always)
    private func link(_ item: Item, _ parent: YType) -> Bool {
        let me = Unmanaged.passUnretained(item)
        if let left = item.leftRef {
            let right = left.rightRef
            item.rightRef = right
            left.rightRef = me
            guard let right else {
                if item.isKeyed { replaceKeyValue(item, parent, previous: left.takeUnretainedValue()) }
                return false
            }
            right.leftRef = me
            return true
        }
        var right: Item?
        if item.isKeyed, let parentSub = item.parentSub {
            right = parent.map[ExactKey(parentSub)]
            while let candidate = right, let l = candidate.left { right = l }
        } else {
            right = parent.start
            parent.start = item
        }
        item.right = right
        guard let right else {
            if item.isKeyed { replaceKeyValue(item, parent, previous: nil) }
            return false
        }
        right.left = item
        return true
    }

    /// The newest value of a key: it replaces (deletes) the previous one.
    private func replaceKeyValue(_ item: Item, _ parent: YType, previous: Item?) {
        guard let parentSub = item.parentSub else { return }
        parent.map[ExactKey(parentSub)] = item
        if let previous { delete(previous) }
    }
}
