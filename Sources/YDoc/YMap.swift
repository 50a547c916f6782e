public import Encoding

/// A shared map: the latest write of each key wins (by the YATA order of
/// concurrent writes, the same on every replica).
public struct YMap {
    let type: YType
    /// Strong: a handle keeps its document (and so its content) alive.
    let doc: Doc

    public var keys: [String] { type.map.compactMap { $0.value.isDeleted ? nil : $0.key }.sorted().map(\.string) }
    public var count: Int { keys.count }

    public func get(_ key: String) -> YValue? {
        guard let item = type.map[ExactKey(key)], !item.isDeleted else { return nil }
        return item.content.values().last
    }

    /// Whether the key exists at all (even if its value is null).
    public func contains(_ key: String) -> Bool { get(key) != nil }

    /// Sets `key` to `value`. On a map that left its document (deleted and
    /// collected) it changes nothing, as the write would be deleted at once.
    public func set(_ key: String, _ value: YInput, _ txn: Transaction) {
        guard !type.isDetached else { return }
        let left = type.map[ExactKey(key)]
        let content = ListInsert.content(for: value)
        let item = Item(
            id: ID(client: doc.clientID, clock: doc.store.state(doc.clientID)), left: left, origin: left?.lastID,
            right: nil, rightOrigin: nil, parent: type, parentSub: key, content: content)
        txn.integrate(item)
        ListInsert.fill(content, with: value, txn)
    }

    public func delete(_ key: String, _ txn: Transaction) {
        if let item = type.map[ExactKey(key)] { txn.delete(item) }
    }

    public func toJSON() -> Lib0Any { YType.json(type, as: .object) }
}
