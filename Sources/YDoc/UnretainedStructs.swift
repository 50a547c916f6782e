/// Reading structs through unretained pointers.
///
/// The hot paths of integration and of text editing look at many structs
/// and links per item. Holding any of them as a class reference costs a
/// retain and a release (atomic, tens of cycles each), which was half the
/// time of applying an update. The store keeps every struct alive for as
/// long as these paths run, so they pass `Unmanaged` pointers around and
/// read fields through `_withUnsafeGuaranteedRef`, which borrows without
/// counting. Ownership is described on `Item` and in docs/documents.md.

extension Unmanaged where Instance == Item {
    /// The neighbour links of the item, read and written through the
    /// pointer: no reference counting on the hot paths of integration.
    var leftRef: Unmanaged<Item>? {
        @inline(__always) get { _withUnsafeGuaranteedRef { $0.leftRef } }
        @inline(__always) nonmutating set { _withUnsafeGuaranteedRef { $0.leftRef = newValue } }
    }
    var rightRef: Unmanaged<Item>? {
        @inline(__always) get { _withUnsafeGuaranteedRef { $0.rightRef } }
        @inline(__always) nonmutating set { _withUnsafeGuaranteedRef { $0.rightRef = newValue } }
    }

    var id: ID { @inline(__always) get { _withUnsafeGuaranteedRef { $0.id } } }
    var length: Int { @inline(__always) get { _withUnsafeGuaranteedRef { $0.length } } }
    /// Whether the item counts towards its parent's length (not deleted, countable content).
    var counts: Bool { @inline(__always) get { _withUnsafeGuaranteedRef { !$0.isDeleted && $0.isCountable } } }

    /// Whether two links point at the same item (or both at none).
    @inline(__always)
    static func same(_ a: Unmanaged<Item>?, _ b: Unmanaged<Item>?) -> Bool { a?.toOpaque() == b?.toOpaque() }
}

extension Unmanaged where Instance == AbstractStruct {
    /// The struct's fields, read through the pointer.
    var clock: UInt64 { @inline(__always) get { _withUnsafeGuaranteedRef { $0.id.clock } } }
    var isItem: Bool { @inline(__always) get { _withUnsafeGuaranteedRef { $0.isItem } } }
    var isGC: Bool { !isItem }
    /// The id of the struct's last unit.
    var lastClock: UInt64 { @inline(__always) get { _withUnsafeGuaranteedRef { $0.id.clock + UInt64($0.length) - 1 } } }
    var lastID: ID { @inline(__always) get { _withUnsafeGuaranteedRef { ID(client: $0.id.client, clock: $0.id.clock + UInt64($0.length) - 1) } } }
    var id: ID { @inline(__always) get { _withUnsafeGuaranteedRef { $0.id } } }
    /// The struct as an item, or `nil` for a GC range.
    var asItem: Unmanaged<Item>? {
        @inline(__always) get { isItem ? Unmanaged<Item>.fromOpaque(toOpaque()) : nil }
    }
}
