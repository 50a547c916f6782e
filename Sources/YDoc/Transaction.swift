import Encoding

/// A group of changes to one document. Local edits and applied updates both
/// run in one; observers hear of it once, when it ends.
public final class Transaction {
    /// Strong, and constants: calling through a `let` of a class borrows it,
    /// where an unowned reference is retained and released around every
    /// call (integration calls the store several times an item). The cycle
    /// with `Doc.current` lasts only while the transaction runs.
    let doc: Doc
    let store: StructStore
    // The hot fields below are not checked for exclusivity at run time, for
    // the reason `AbstractStruct` gives: a transaction is confined to its
    // document's thread, and a check cost more than the access (every
    // integrated item touches `clocksBefore` and `changed`).
    /// Ranges this transaction deleted.
    @exclusivity(unchecked) var deleteSet = DeleteSet()
    /// Each client's clock before this transaction first added to it: only
    /// the clients it touched (one, for a local edit), recorded by
    /// `StructStore.add`, so starting a transaction costs no state vector.
    @exclusivity(unchecked) private(set) var clocksBefore: [(client: UInt64, clock: UInt64)] = []
    /// Items created or split here, to merge with their left neighbour at the end.
    @exclusivity(unchecked) var mergeCandidates: [Item] = []
    /// Types whose content changed (few per transaction: a list beats hashing).
    @exclusivity(unchecked) var changed: [YType] = []
    /// Whether the changes were made here (not received in an update).
    public let isLocal: Bool
    /// Set while a text edit runs: it keeps its type's marker right itself.
    var keepMarkers = false

    init(doc: Doc, local: Bool) {
        self.doc = doc
        self.store = doc.store
        self.isLocal = local
    }

    /// Called before a struct of `client` is added at `clock` (its state then).
    func willAdd(client: UInt64, clock: UInt64) {
        if clocksBefore.last?.client == client { return }
        for entry in clocksBefore where entry.client == client { return }
        clocksBefore.append((client, clock))
    }

    /// Whether any struct was added.
    var addedStructs: Bool { !clocksBefore.isEmpty }

    /// The state vector as it was when the transaction began.
    var beforeState: [UInt64: UInt64] {
        var state = doc.store.stateVector
        for (client, clock) in clocksBefore { state[client] = clock }
        return state
    }

    /// This transaction's own update: the structs it added and what it deleted.
    public func encodeUpdate() -> [UInt8] {
        var w = ByteWriter(capacity: 64)
        UpdateEncoder.writeStructs(doc.store, from: beforeState, into: &w)
        var deletes = deleteSet
        deletes.normalize()
        deletes.write(&w)
        return w.bytes
    }

    /// The types this transaction changed.
    public var changedTypes: [YType] { changed }

    /// The type `markChanged` saw last: compared by identity, which reads
    /// no reference out of `changed` (each read would retain it).
    @exclusivity(unchecked) private var lastChanged: ObjectIdentifier?

    /// Takes the type itself, not an optional: unwrapping a parameter
    /// binds a copy, which retains it.
    func markChanged(_ type: YType) {
        // Called for every item integrated: the common answer first.
        let id = ObjectIdentifier(type)
        if id != lastChanged {
            lastChanged = id
            if !changed.contains(where: { $0 === type }) { changed.append(type) }
        }
        if !keepMarkers, type.hasMarker { type.marker = nil }
    }

    /// Splits `item` at `diff` and returns the right part (Yjs's `splitItem`).
    func split(_ item: Item, _ diff: Int) -> Item {
        let right = Item(
            id: ID(client: item.id.client, clock: item.id.clock + UInt64(diff)), left: item,
            origin: ID(client: item.id.client, clock: item.id.clock + UInt64(diff) - 1), right: item.right,
            rightOrigin: item.rightOrigin, parent: item.parent, parentSub: item.parentSub,
            content: item.content.splice(diff))
        if item.isDeleted { right.markDeleted() }
        item.right = right
        right.right?.left = right
        mergeCandidates.append(right)
        if let sub = right.parentSub, right.right == nil { right.parent?.map[sub] = right }
        item.length = diff
        return right
    }

    /// Deletes `item` (Yjs's `Item.delete`): marks it, records the range,
    /// and deletes a nested type's content with it.
    func delete(_ item: Item) {
        guard !item.isDeleted else { return }
        if !item.isKeyed, item.isCountable, let parent = item.parent { parent.length -= item.length }
        item.markDeleted()
        deleteSet.add(item.id.client, item.id.clock, UInt64(item.length))
        if let parent = item.parent { markChanged(parent) }
        if item.holdsType, case .type(let type) = item.content {
            var child = type.start
            while let current = child {
                if !current.isDeleted { delete(current) }
                child = current.right
            }
            for entry in type.map.values where !entry.isDeleted { delete(entry) }
            changed.removeAll { $0 === type }
            lastChanged = nil
        }
    }
}
