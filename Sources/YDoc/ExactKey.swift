/// A map entry's key or a root type's name, equal to another only when
/// their Unicode scalars are, as Yjs compares them (JavaScript strings).
/// Swift's `String` equality is canonical equivalence: "é" (U+00E9) and
/// "e" + U+0301 were one key here and two in Yjs, so an update setting one
/// deleted the other's entry, a deletion the next update sent to Yjs peers
/// (docs/documents.md, "Keys").
struct ExactKey: Hashable, Comparable {
    let string: String

    init(_ string: String) { self.string = string }

    static func == (a: ExactKey, b: ExactKey) -> Bool {
        guard a.string.utf8.count == b.string.utf8.count else { return false }
        // An item written after another under one key shares its key's
        // storage: equal without reading a (possibly long) key again.
        let shared = a.string.utf8.withContiguousStorageIfAvailable { x in
            b.string.utf8.withContiguousStorageIfAvailable { y in x.baseAddress == y.baseAddress }
        }
        if shared == true { return true }
        return a.string.utf8.elementsEqual(b.string.utf8)
    }

    /// By UTF-8 bytes, which is by code points: every replica orders keys alike.
    static func < (a: ExactKey, b: ExactKey) -> Bool { a.string.utf8.lexicographicallyPrecedes(b.string.utf8) }

    func hash(into hasher: inout Hasher) {
        hasher.combine(string.utf8.count)
        let hashed: Void? = string.utf8.withContiguousStorageIfAvailable { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        if hashed == nil { for byte in string.utf8 { hasher.combine(byte) } }
    }
}

extension Optional<String> {
    /// Whether two optional keys are the same key, scalar for scalar (`ExactKey`).
    func isSameKey(as other: String?) -> Bool {
        switch (self, other) {
        case (nil, nil): true
        case let (a?, b?): ExactKey(a) == ExactKey(b)
        default: false
        }
    }
}
