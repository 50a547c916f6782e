/// A shared type: the list of items of an array or text (`start`, linked
/// through `right`) and the latest item of each key of a map (`map`). Root
/// types are named in the document; nested ones live in an item's content.
/// Which kind a root is comes from how it is read, as in Yjs.
public final class YType {
    public enum Kind: Equatable, Sendable {
        /// A root whose kind nobody has declared yet.
        case unknown
        case array, map, text
        case xmlElement(String), xmlFragment, xmlHook(String), xmlText

        /// Yjs's type refs on the wire.
        var ref: UInt64 {
            switch self {
            case .array, .unknown: return 0
            case .map: return 1
            case .text: return 2
            case .xmlElement: return 3
            case .xmlFragment: return 4
            case .xmlHook: return 5
            case .xmlText: return 6
            }
        }
    }

    public internal(set) var kind: Kind
    @exclusivity(unchecked) var start: Item?  // unchecked: see AbstractStruct
    /// Each key's newest entry (`ExactKey`: as Yjs compares keys).
    var map: [ExactKey: Item] = [:]
    /// Countable, non-deleted length of the list part.
    @exclusivity(unchecked) var length = 0
    /// The item whose content this type is; `nil` for a root, and for a
    /// nested type once detached. A plain pointer, never dangling: the item
    /// leaves the store (replaced by a GC range, or merged into its left
    /// neighbour) only after `Doc.collect` detached the type, and the
    /// document detaches every type when it goes; a handle may keep the
    /// type longer than that.
    unowned(unsafe) var item: Item?
    /// The root name, for a root.
    var rootName: String?
    /// The document, while the type is part of it (cleared like `item`).
    unowned(unsafe) var doc: Doc?
    /// How many nested types hold this one: 0 for a root, 1 for a type set
    /// in a root... Bounded by `Doc.maxNestingDepth`.
    var depth = 0
    /// Whether the type left its document: its item was collected (the
    /// type was deleted, as Yjs's garbage collection does) or the document
    /// went. A handle to it reads it as empty, and edits through one
    /// change nothing (Yjs would integrate them and delete them at once).
    private(set) var isDetached = false
    /// A remembered position for text edits (Yjs keeps "search markers" for
    /// the same reason): an item of the list and how many countable units
    /// precede it, so the next edit nearby does not walk from the start.
    @exclusivity(unchecked) var marker: (item: Item, index: Int)? {
        didSet { hasMarker = marker != nil }
    }
    /// Whether `marker` is set, asked without reading the marker out
    /// (which would retain its item).
    @exclusivity(unchecked) private(set) var hasMarker = false

    init(kind: Kind) {
        self.kind = kind
    }

    /// Leaves the document: lets go of the type's items (its list, map and
    /// marker; they are being collected, or the document is going) and of
    /// its item and document, which may be freed before the type is.
    func detach() {
        start = nil
        map = [:]
        marker = nil
        length = 0
        item = nil
        doc = nil
        isDetached = true
    }

    /// Items of the list part, in order (deleted ones included).
    var items: UnfoldSequence<Item, Item?> {
        sequence(state: start) { (next: inout Item?) -> Item? in
            defer { next = next?.right }
            return next
        }
    }
}
