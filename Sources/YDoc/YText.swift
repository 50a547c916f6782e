/// A shared text. Positions and lengths are in UTF-16 code units, as in Yjs.
public struct YText {
    let type: YType
    unowned let doc: Doc

    /// Length in UTF-16 code units.
    public var count: Int { type.length }

    public var string: String { Self.string(of: type) }

    static func string(of type: YType) -> String {
        var units: [UInt16] = []
        units.reserveCapacity(type.length)
        for item in type.items where !item.isDeleted {
            if case .string(let s) = item.content { units.append(contentsOf: s) }
        }
        return String(decoding: units, as: UTF16.self)
    }

    /// Inserts `text` at UTF-16 offset `index` (clamped to the text).
    public func insert(_ index: Int, _ text: String, _ txn: Transaction) {
        let units = Array(text.utf16)
        guard !units.isEmpty else { return }
        let target = Swift.max(0, Swift.min(index, type.length))
        var (left, right) = position(target, txn)
        // Like Yjs, step over tombstones (and formatting ends) to the right of the insertion point.
        while let r = right, r.isDeleted || r.content.isNullFormat {
            left = r
            right = r.right
        }
        let item = Item(
            id: ID(client: doc.clientID, clock: doc.store.state(doc.clientID)), left: left, origin: left?.lastID,
            right: right, rightOrigin: right?.id, parent: type, parentSub: nil, content: .string(units))
        txn.keepMarkers = true
        txn.integrate(item, offset: 0)
        txn.keepMarkers = false
        type.marker = (item, target)
    }

    /// Deletes `length` UTF-16 code units from `index`.
    public func delete(_ index: Int, _ length: Int, _ txn: Transaction) {
        guard length > 0, index >= 0, index < type.length else { return }
        var (_, right) = position(index, txn)
        var remaining = length
        let store = doc.store
        // Deletions at and after the marker leave the units before it unchanged.
        txn.keepMarkers = true
        defer { txn.keepMarkers = false }
        while remaining > 0, let r = right {
            if !r.isDeleted && r.isCountable {
                if remaining < r.length {
                    _ = store.itemCleanStart(ID(client: r.id.client, clock: r.id.clock + UInt64(remaining)), txn)
                }
                remaining -= r.length
                txn.delete(r)
            }
            right = r.right
        }
    }

    /// The neighbours of UTF-16 offset `index`, splitting an item there.
    /// Starts from the type's marker when it is nearer than the start.
    func position(_ index: Int, _ txn: Transaction) -> (left: Item?, right: Item?) {
        var left: Item?
        var right = type.start
        var count = index
        if let marker = type.marker, index > marker.index / 2 {
            // Walk back from the marker until at or before the target, then forward.
            var item = marker.item
            var before = marker.index
            while before > index, let l = item.left {
                item = l
                if !l.isDeleted && l.isCountable { before -= l.length }
            }
            if before <= index {
                left = item.left
                right = item
                count = index - before
            }
        }
        while let r = right, count > 0 {
            if !r.isDeleted && r.isCountable {
                if count < r.length {
                    _ = doc.store.itemCleanStart(ID(client: r.id.client, clock: r.id.clock + UInt64(count)), txn)
                }
                count -= r.length
            }
            left = r
            right = r.right
        }
        if let right { type.marker = (right, index) }
        return (left, right)
    }
}

extension Content {
    var isNullFormat: Bool {
        if case .format(_, let value) = self { return value == "null" }
        return false
    }
}
