public import Encoding

/// A shared array of values and nested types.
public struct YArray {
    let type: YType
    /// Strong: a handle keeps its document (and so its content) alive.
    let doc: Doc

    public var count: Int { type.length }

    public var values: [YValue] {
        type.items.filter { !$0.isDeleted && $0.isCountable }.flatMap { $0.content.values() }
    }

    public func get(_ index: Int) -> YValue? {
        let all = values
        return index >= 0 && index < all.count ? all[index] : nil
    }

    public func insert(_ index: Int, _ values: [YInput], _ txn: Transaction) throws(YDocError) {
        guard index >= 0 && index <= type.length else {
            throw .malformed("index \(index) is outside the array (length \(type.length))")
        }
        ListInsert.insert(into: type, at: index, values, txn)
    }

    public func append(_ values: [YInput], _ txn: Transaction) {
        ListInsert.insert(into: type, at: type.length, values, txn)
    }

    public func delete(_ index: Int, count: Int = 1, _ txn: Transaction) throws(YDocError) {
        guard index >= 0, count >= 0, index + count <= type.length else {
            throw .malformed("range \(index)..<\(index + count) is outside the array (length \(type.length))")
        }
        ListInsert.delete(from: type, at: index, count: count, txn)
    }

    public func toJSON() -> Lib0Any { YType.json(type, as: .array) }
}

/// Inserting into and deleting from the list part of a type, after Yjs's
/// `typeListInsertGenerics` and `typeListDelete`.
enum ListInsert {
    static func content(for input: YInput) -> Content {
        switch input {
        case .value(let v):
            if case .bytes(let b) = v { return .binary(b) }
            return .any([v])
        case .map: return .type(YType(kind: .map))
        case .array: return .type(YType(kind: .array))
        case .text: return .type(YType(kind: .text))
        }
    }

    /// Puts a new nested type's initial content in it.
    static func fill(_ content: Content, with input: YInput, _ txn: Transaction) {
        guard case .type(let type) = content, let doc = type.doc else { return }
        switch input {
        case .map(let members):
            let map = YMap(type: type, doc: doc)
            for (key, value) in members { map.set(key, value, txn) }
        case .array(let items):
            insert(into: type, at: 0, items, txn)
        case .text(let s):
            YText(type: type, doc: doc).insert(0, s, txn)
        case .value:
            break
        }
    }

    /// The item after which position `index` lies (nil: at the start), splitting as needed.
    static func reference(in type: YType, at index: Int, _ txn: Transaction) -> Item? {
        if index == 0 { return nil }
        var remaining = index
        var n = type.start
        while let current = n {
            if !current.isDeleted && current.isCountable {
                if remaining <= current.length {
                    if remaining < current.length {
                        _ = txn.doc.store.itemCleanStart(
                            ID(client: current.id.client, clock: current.id.clock + UInt64(remaining)), txn)
                    }
                    return current
                }
                remaining -= current.length
            }
            n = current.right
        }
        return nil
    }

    /// Into a type that left its document (deleted and collected) nothing
    /// is inserted: the items would be deleted at once.
    static func insert(into type: YType, at index: Int, _ values: [YInput], _ txn: Transaction) {
        guard !type.isDetached else { return }
        let doc = txn.doc
        var left = reference(in: type, at: index, txn)
        let right = left == nil ? type.start : left?.right
        var pending: [Lib0Any] = []
        func place(_ content: Content) {
            let item = Item(
                id: ID(client: doc.clientID, clock: doc.store.state(doc.clientID)), left: left, origin: left?.lastID,
                right: right, rightOrigin: right?.id, parent: type, parentSub: nil, content: content)
            txn.integrate(item)
            left = item
        }
        func flush() {
            if !pending.isEmpty {
                place(.any(pending))
                pending.removeAll()
            }
        }
        for value in values {
            if case .value(let v) = value, !(v.isBytes) {
                pending.append(v)
                continue
            }
            flush()
            let content = content(for: value)
            place(content)
            fill(content, with: value, txn)
        }
        flush()
    }

    static func delete(from type: YType, at index: Int, count: Int, _ txn: Transaction) {
        guard count > 0 else { return }
        let store = txn.doc.store
        var remaining = index
        var n = type.start
        while let current = n, remaining > 0 {
            if !current.isDeleted && current.isCountable {
                if remaining < current.length {
                    _ = store.itemCleanStart(ID(client: current.id.client, clock: current.id.clock + UInt64(remaining)), txn)
                }
                remaining -= current.length
            }
            n = current.right
        }
        var left = count
        while left > 0, let current = n {
            if !current.isDeleted && current.isCountable {
                if left < current.length {
                    _ = store.itemCleanStart(ID(client: current.id.client, clock: current.id.clock + UInt64(left)), txn)
                }
                txn.delete(current)
                left -= current.length
            }
            n = current.right
        }
    }
}

extension Lib0Any {
    var isBytes: Bool { if case .bytes = self { return true } else { return false } }
}
