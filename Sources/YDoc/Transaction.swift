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
    /// While an item's neighbours are resolved (`missing`): splits leave a
    /// surrogate pair they cut as it is, and note where in `cutPairs`.
    /// The item may yet be kept as a range (hostile neighbours), which
    /// places nothing between the halves; they then merge back at the end
    /// of the transaction, and a replica that gets the range, which names
    /// no neighbour, holds the pair whole too (fuzz finding 23). What is
    /// still cut then becomes U+FFFD twice (`Doc.replaceCutPairs`), as Yjs
    /// does at the split.
    @exclusivity(unchecked) var defersCutPairs = false
    /// The first unit after each cut left as it is, by id.
    @exclusivity(unchecked) var cutPairs: [ID] = []
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

    /// The clients in `clocksBefore`, once there are more than a few: an
    /// update may name many clients, and searching the list for each would
    /// make applying it quadratic.
    private var addedClients: Set<UInt64> = []

    /// Called before a struct of `client` is added at `clock` (its state then).
    func willAdd(client: UInt64, clock: UInt64) {
        if clocksBefore.last?.client == client { return }
        if clocksBefore.count < Self.fewClients {
            for entry in clocksBefore where entry.client == client { return }
        } else {
            if addedClients.isEmpty { addedClients = Set(clocksBefore.map(\.client)) }
            guard addedClients.insert(client).inserted else { return }
        }
        clocksBefore.append((client, clock))
    }

    /// Up to how many entries a list is searched rather than hashed (for
    /// clients and for changed types).
    static let fewClients = 8

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
    public var changedTypes: [YType] {
        if changedDropped {
            var seen = Set<ObjectIdentifier>()
            changed.removeAll {
                let id = ObjectIdentifier($0)
                return !changedSet.contains(id) || !seen.insert(id).inserted
            }
            changedDropped = false
        }
        return changed
    }

    /// The type `markChanged` saw last: compared by identity, which reads
    /// no reference out of `changed` (each read would retain it).
    @exclusivity(unchecked) private var lastChanged: ObjectIdentifier?
    /// Past a few types (an update may touch a great many nested types),
    /// the types in `changed` are also kept in a set: searching the list
    /// for each would be quadratic. A type deleted later in the transaction
    /// leaves the set at once and the list when it is next read.
    private var hashesChanged = false
    private var changedSet: Set<ObjectIdentifier> = []
    private var changedDropped = false

    /// Takes the type itself, not an optional: unwrapping a parameter
    /// binds a copy, which retains it.
    func markChanged(_ type: YType) {
        // Called for every item integrated: the common answer first.
        let id = ObjectIdentifier(type)
        if id != lastChanged {
            lastChanged = id
            if !hashesChanged {
                if !changed.contains(where: { $0 === type }) {
                    changed.append(type)
                    if changed.count > Self.fewClients {
                        hashesChanged = true
                        changedSet = Set(changed.map(ObjectIdentifier.init))
                    }
                }
            } else if changedSet.insert(id).inserted {
                changed.append(type)
            }
        }
        if !keepMarkers, type.hasMarker { type.marker = nil }
    }

    /// A deleted type's changes are not reported (Yjs drops them too).
    private func forgetChanged(_ type: YType) {
        if !hashesChanged {
            changed.removeAll { $0 === type }
        } else if changedSet.remove(ObjectIdentifier(type)) != nil {
            changedDropped = true
        }
        lastChanged = nil
    }

    /// Splits `item` at `diff` and returns the right part (Yjs's `splitItem`).
    func split(_ item: Item, _ diff: Int) -> Item {
        var cutAPair = false
        let right = Item(
            id: ID(client: item.id.client, clock: item.id.clock + UInt64(diff)), left: item,
            origin: ID(client: item.id.client, clock: item.id.clock + UInt64(diff) - 1), right: item.right,
            rightOrigin: item.rightOrigin, parent: item.parent, parentSub: item.parentSub,
            content: defersCutPairs ? item.content.spliceLeavingPairs(diff, cut: &cutAPair) : item.content.splice(diff))
        if cutAPair { cutPairs.append(right.id) }
        if item.isDeleted { right.markDeleted() }
        item.right = right
        right.right?.left = right
        mergeCandidates.append(right)
        if let sub = right.parentSub.map(ExactKey.init), right.right == nil { right.parent?.map[sub] = right }
        item.length = diff
        return right
    }

    /// Deletes `item` (Yjs's `Item.delete`): marks it, records the range,
    /// and deletes a nested type's content with it.
    func delete(_ item: Item) {
        guard !item.isDeleted else { return }
        guard item.holdsType else { return deleteOne(item) }
        // Nested types may nest deeply: a worklist, not recursion, in the
        // order the recursion took (an item, then its type's items in list
        // order, then the type is forgotten as changed).
        var work: [DeleteStep] = [.delete(item)]
        while let step = work.popLast() {
            switch step {
            case .forget(let type):
                forgetChanged(type)
            case .delete(let current):
                guard !current.isDeleted else { continue }
                deleteOne(current)
                guard current.holdsType, case .type(let type) = current.content else { continue }
                work.append(.forget(type))
                let first = work.count
                var child = type.start
                while let c = child {
                    if !c.isDeleted { work.append(.delete(c)) }
                    child = c.right
                }
                for entry in type.map.values where !entry.isDeleted { work.append(.delete(entry)) }
                work[first...].reverse()
            }
        }
    }

    private enum DeleteStep {
        case delete(Item)
        case forget(YType)
    }

    private func deleteOne(_ item: Item) {
        if !item.isKeyed, item.isCountable, let parent = item.parent { parent.length -= item.length }
        item.markDeleted()
        deleteSet.add(item.id.client, item.id.clock, UInt64(item.length))
        if let parent = item.parent { markChanged(parent) }
    }
}
