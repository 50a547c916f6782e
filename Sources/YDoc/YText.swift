/// A shared text. Positions and lengths are in UTF-16 code units, as in Yjs.
public struct YText {
    let type: YType
    /// Strong: a handle keeps its document (and so its content) alive.
    let doc: Doc

    /// Length in UTF-16 code units.
    public var count: Int { type.length }

    public var string: String { Self.string(of: type) }

    static func string(of type: YType) -> String {
        var units: [UInt16] = []
        units.reserveCapacity(type.length)
        for item in type.items where !item.isDeleted {
            if case .string(let s) = item.content { units.append(contentsOf: s.units()) }
        }
        return String(decoding: units, as: UTF16.self)
    }

    /// Inserts `text` at UTF-16 offset `index` (clamped to the text). Into
    /// a text that left its document (deleted and collected) nothing is
    /// inserted: the text would be deleted at once.
    public func insert(_ index: Int, _ text: String, _ txn: Transaction) {
        let units = Array(text.utf16)
        guard !units.isEmpty, !type.isDetached else { return }
        let target = Swift.max(0, Swift.min(index, type.length))
        let (start, end) = position(target, txn)
        unowned(unsafe) var left = start
        unowned(unsafe) var right = end
        // Like Yjs, step over tombstones (and formatting ends) to the right of the insertion point.
        while let r = right, r.isDeleted || r.content.isNullFormat {
            left = r
            right = r.right
        }
        if let typed = left, extendTyping(typed, right: right, units, txn) {
            type.marker = (typed, target - (typed.length - units.count))
            return
        }
        let item = Item(
            id: ID(client: doc.clientID, clock: doc.store.state(doc.clientID)), left: left, origin: left?.lastID,
            right: right, rightOrigin: right?.id, parent: type, parentSub: nil, content: .string(TextUnits(units)))
        txn.keepMarkers = true
        txn.integrate(item)
        txn.keepMarkers = false
        type.marker = (item, target)
    }

    /// Typing on: when the insertion point is just after this client's
    /// newest item, appending to that item gives exactly the struct that
    /// integrating a new item and merging it at the end of the transaction
    /// would (same ids, origins and content), without building either.
    private func extendTyping(_ left: Item, right: Item?, _ units: [UInt16], _ txn: Transaction) -> Bool {
        let clock = left.id.clock + UInt64(left.length)
        guard doc.extendsTyping, left.id.client == doc.clientID, !left.isDeleted, left.parentSub == nil, left.right === right,
            left.rightOrigin == right?.id, case .string = left.content, clock == doc.store.state(doc.clientID)
        else { return false }
        txn.willAdd(client: left.id.client, clock: clock)
        guard left.content.append(typed: units) else { return false }
        left.length += units.count
        doc.store.lastGrew(left.id.client, by: units.count)
        type.length += units.count
        txn.keepMarkers = true
        txn.markChanged(type)
        txn.keepMarkers = false
        return true
    }

    /// Deletes `length` UTF-16 code units from `index`.
    public func delete(_ index: Int, _ length: Int, _ txn: Transaction) {
        guard length > 0, index >= 0, index < type.length else { return }
        var right = position(index, txn).right.map { Unmanaged.passUnretained($0) }
        var remaining = length
        let store = doc.store
        // Deletions at and after the marker leave the units before it unchanged.
        txn.keepMarkers = true
        defer { txn.keepMarkers = false }
        while remaining > 0, let r = right {
            if r.counts {
                if remaining < r.length {
                    let id = r.id
                    _ = store.itemCleanStart(ID(client: id.client, clock: id.clock + UInt64(remaining)), txn)
                }
                remaining -= r.length
                txn.delete(r.takeUnretainedValue())
            }
            right = r.rightRef
        }
    }

    /// The neighbours of UTF-16 offset `index`, splitting an item there.
    /// Starts from the type's marker when it is nearer than the start.
    func position(_ index: Int, _ txn: Transaction) -> (left: Item?, right: Item?) {
        // The walk follows the links as plain pointers (the store keeps the
        // items alive): a reference read at each step would cost a retain
        // and a release per item stepped over.
        var left: Unmanaged<Item>?
        var right = type.start.map { Unmanaged.passUnretained($0) }
        var count = index
        if type.hasMarker, let marker = type.marker, index > marker.index / 2 {
            // Walk back from the marker until at or before the target, then forward.
            var item = Unmanaged.passUnretained(marker.item)
            var before = marker.index
            while before > index, let l = item.leftRef {
                item = l
                if l.counts { before -= l.length }
            }
            if before <= index {
                left = item.leftRef
                right = item
                count = index - before
            }
        }
        while let r = right, count > 0 {
            if r.counts {
                if count < r.length {
                    let id = r.id
                    _ = doc.store.itemCleanStart(ID(client: id.client, clock: id.clock + UInt64(count)), txn)
                }
                count -= r.length
            }
            left = r
            right = r.rightRef
        }
        let rightItem = right?.takeUnretainedValue()
        if let rightItem { type.marker = (rightItem, index) }
        return (left?.takeUnretainedValue(), rightItem)
    }
}

extension Content {
    var isNullFormat: Bool {
        if case .format(_, let value) = self { return value == "null" }
        return false
    }
}
