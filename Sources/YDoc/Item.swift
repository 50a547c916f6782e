/// A unit of the struct store: an `Item` (content placed in a type) or a
/// `GCStruct` (a range whose content was collected).
class AbstractStruct {
    // The struct graph is confined to its document's thread and its fields
    // are never accessed overlapping: run-time exclusivity checks (which
    // cost more than these accesses) are off for the hot ones.
    @exclusivity(unchecked) var id: ID
    @exclusivity(unchecked) var length: Int
    /// Set by `Item`: lets hot paths tell the two kinds apart without a
    /// dynamic cast (`asItem`).
    let isItem: Bool
    /// Stored, not overridden: read on every step of every walk, so no
    /// dynamic dispatch. A GC range is deleted by definition.
    @exclusivity(unchecked) final fileprivate(set) var isDeleted: Bool

    init(id: ID, length: Int, isItem: Bool = false) {
        self.id = id
        self.length = length
        self.isItem = isItem
        self.isDeleted = !isItem
    }

    /// The struct as an `Item`, or `nil` for a GC range.
    @inline(__always) var asItem: Item? { isItem ? unsafeDowncast(self, to: Item.self) : nil }
    @inline(__always) var isGC: Bool { !isItem }
}

/// A garbage-collected range: only its id and length are left.
final class GCStruct: AbstractStruct {}

/// A piece of content in a shared type, with the neighbours it was inserted
/// between (`origin`, `rightOrigin`): the YATA algorithm orders concurrent
/// inserts by them. Named and organised as Yjs's `Item` so the two read side by side.
final class Item: AbstractStruct {
    /// The item to the left when this one was inserted (its last id).
    @exclusivity(unchecked) var origin: ID?
    /// The item to the right when this one was inserted (its first id).
    @exclusivity(unchecked) var rightOrigin: ID?
    /// Current neighbours in the parent's list, held as plain pointers:
    /// reading or comparing one costs no reference counting, where a strong
    /// or unowned reference is retained and released at nearly every read
    /// (that was most of the cost of integrating an item). They own
    /// nothing: the store owns every struct, and an item leaves the store
    /// only once unlinked (merged into its left neighbour) or together with
    /// every item of its list (its parent type collected).
    @exclusivity(unchecked) var leftRef: Unmanaged<Item>?
    @exclusivity(unchecked) var rightRef: Unmanaged<Item>?

    var left: Item? {
        @inline(__always) get { leftRef?.takeUnretainedValue() }
        @inline(__always) set { leftRef = newValue.map { Unmanaged.passUnretained($0) } }
    }
    var right: Item? {
        @inline(__always) get { rightRef?.takeUnretainedValue() }
        @inline(__always) set { rightRef = newValue.map { Unmanaged.passUnretained($0) } }
    }
    /// The type this item belongs to; `nil` when its parent was collected.
    /// Not owned, like the links: a root type is owned by the document, a
    /// nested one by its item's content, and a type goes only after every
    /// item in it was collected (see `Doc.collect`). So the struct graph
    /// has no reference cycles, and integration stores and reads the
    /// parent of every item without reference counting.
    @exclusivity(unchecked) var parentRef: Unmanaged<YType>?
    var parent: YType? {
        @inline(__always) get { parentRef?.takeUnretainedValue() }
        @inline(__always) set { parentRef = newValue.map { Unmanaged.passUnretained($0) } }
    }
    /// While decoding: the parent named on the wire, not yet resolved: a
    /// root by name, or the item whose content is the parent type. Two
    /// fields and a flag, not one enum: copying an enum that can hold a
    /// `String` costs reference counting even when it holds none, and
    /// integration asks about the parent of every item.
    var pendingRoot: String?
    @exclusivity(unchecked) var pendingParentItem: ID?
    @exclusivity(unchecked) var awaitsParent = false
    /// The map key, for items in a map.
    @exclusivity(unchecked) var parentSub: String? {
        didSet { isKeyed = parentSub != nil }
    }
    /// Whether `parentSub` is set. The hot paths ask this, not `parentSub`
    /// itself: reading an optional `String` out of a class retains it.
    @exclusivity(unchecked) private(set) var isKeyed: Bool
    /// Changed in place (typing appends to it), so no observer here: one
    /// would make every append copy the content. Replace it only through
    /// `collectContent` (`contentRef` must follow it).
    @exclusivity(unchecked) var content: Content
    /// `content.ref`, kept beside it for the same reason as `isKeyed`:
    /// asking the content's kind would copy the content.
    @exclusivity(unchecked) private(set) var contentRef: UInt8

    init(
        id: ID, left: Item?, origin: ID?, right: Item?, rightOrigin: ID?, parent: YType?, parentSub: String?,
        content: Content
    ) {
        self.origin = origin
        self.rightOrigin = rightOrigin
        self.leftRef = left.map { Unmanaged.passUnretained($0) }
        self.rightRef = right.map { Unmanaged.passUnretained($0) }
        self.parentRef = parent.map { Unmanaged.passUnretained($0) }
        self.parentSub = parentSub
        self.isKeyed = parentSub != nil
        self.content = content
        self.contentRef = content.ref
        super.init(id: id, length: content.length, isItem: true)
    }

    /// Whether the content counts towards its parent's length.
    var isCountable: Bool { Content.isCountable(ref: contentRef) }

    /// Whether the content is a nested type.
    var holdsType: Bool { contentRef == Content.refType }

    /// Drops the content's payload, keeping its length (Yjs's `Item.gc`).
    func collectContent() {
        content = .deleted(length)
        contentRef = Content.refDeleted
    }

    /// The id of the last unit of content.
    var lastID: ID { ID(client: id.client, clock: id.clock + UInt64(length) - 1) }

    func markDeleted() { isDeleted = true }

    func clearPendingParent() {
        pendingRoot = nil
        pendingParentItem = nil
        awaitsParent = false
    }

    /// Whether `right` can be appended to this item (Yjs's `mergeWith`):
    /// same client, consecutive clocks, inserted right after this one between
    /// the same neighbours, in the same state.
    func canMerge(with right: Item) -> Bool {
        right.id.client == id.client && right.id.clock == id.clock + UInt64(length)
            && right.origin == lastID && rightOrigin == right.rightOrigin && self.right === right
            && isDeleted == right.isDeleted
            && contentRef == right.contentRef && contentRef != Content.refType
    }
}
