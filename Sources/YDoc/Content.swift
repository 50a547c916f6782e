import Encoding

/// What an item holds. The wire numbers are Yjs's content refs (pinned by a test).
enum Content {
    /// Deleted content whose payload was collected: only its length remains.
    case deleted(Int)
    /// Legacy JSON values (each as JSON text; "undefined" allowed).
    case json([String])
    case binary([UInt8])
    /// Text, as UTF-16 code units: Yjs counts lengths and offsets in them.
    case string(TextUnits)
    /// An embed in a text (JSON text).
    case embed(String)
    /// A formatting mark in a text: key and JSON text of the value. Boxed
    /// (as is `doc`): rare, and inline they would make every item's content
    /// twice as wide.
    indirect case format(key: String, value: String)
    /// A nested shared type.
    case type(YType)
    /// Values in lib0's `any` encoding.
    case any([Lib0Any])
    /// A subdocument (guid and options); kept and re-encoded, not loaded.
    indirect case doc(guid: String, options: Lib0Any)

    static let refDeleted: UInt8 = 1, refJSON: UInt8 = 2, refBinary: UInt8 = 3, refString: UInt8 = 4
    static let refEmbed: UInt8 = 5, refFormat: UInt8 = 6, refType: UInt8 = 7, refAny: UInt8 = 8, refDoc: UInt8 = 9

    var ref: UInt8 {
        switch self {
        case .deleted: return Self.refDeleted
        case .json: return Self.refJSON
        case .binary: return Self.refBinary
        case .string: return Self.refString
        case .embed: return Self.refEmbed
        case .format: return Self.refFormat
        case .type: return Self.refType
        case .any: return Self.refAny
        case .doc: return Self.refDoc
        }
    }

    var length: Int {
        switch self {
        case .deleted(let n): return n
        case .json(let values): return values.count
        case .string(let units): return units.length
        case .any(let values): return values.count
        case .binary, .embed, .format, .type, .doc: return 1
        }
    }

    /// Whether content of kind `ref` counts towards its parent's length
    /// (deleted content and formats do not). Asked of the kind, which items
    /// keep beside their content (`Item.contentRef`).
    static func isCountable(ref: UInt8) -> Bool { ref != refDeleted && ref != refFormat }

    /// `splice`, leaving a surrogate pair it cuts as it is; `cut` says
    /// whether it cut one (`Transaction.defersCutPairs`).
    mutating func spliceLeavingPairs(_ offset: Int, cut: inout Bool) -> Content {
        guard case .string(var units) = self else { return splice(offset) }
        self = .deleted(0)  // drop self's reference so the units are held once
        let right = units.splice(offset, replacingACutPair: false)
        cut = units.endsInAHighSurrogate
        self = .string(units)
        return .string(right)
    }

    /// Splits off and returns the part from `offset` on; `self` keeps the rest.
    mutating func splice(_ offset: Int) -> Content {
        switch self {
        case .deleted(let n):
            self = .deleted(offset)
            return .deleted(n - offset)
        case .json(let values):
            self = .json(Array(values[..<offset]))
            return .json(Array(values[offset...]))
        case .string(var units):
            self = .deleted(0)  // drop self's reference so the units are held once
            let right = units.splice(offset)
            self = .string(units)
            return .string(right)
        case .any(let values):
            self = .any(Array(values[..<offset]))
            return .any(Array(values[offset...]))
        default:
            preconditionFailure("content of length 1 cannot be split")
        }
    }

    /// Whether `count` units of this content from `offset` are those of
    /// `other` from `otherOffset`, as the wire would write them. Content of
    /// one unit is compared whole.
    func sameUnits(from offset: Int, as other: Content, from otherOffset: Int, count: Int) -> Bool {
        switch (self, other) {
        case (.deleted, .deleted):
            return true
        case (.string(let a), .string(let b)):
            return a.units(from: offset).prefix(count).elementsEqual(b.units(from: otherOffset).prefix(count))
        case (.json(let a), .json(let b)):
            // Scalar for scalar, as Yjs compares strings (`ExactKey`).
            return zip(a[offset..<(offset + count)], b[otherOffset..<(otherOffset + count)]).allSatisfy { $0.utf8.elementsEqual($1.utf8) }
        case (.any(let a), .any(let b)):
            return a[offset..<(offset + count)] == b[otherOffset..<(otherOffset + count)]
        default:
            guard ref == other.ref else { return false }
            var x = ByteWriter(capacity: 32)
            var y = ByteWriter(capacity: 32)
            UpdateEncoder.writeContent(self, offset: 0, into: &x)
            UpdateEncoder.writeContent(other, offset: 0, into: &y)
            return x.bytes == y.bytes
        }
    }

    /// Appends `other` if both are of a kind that merges (Yjs's `mergeWith`).
    /// Appends in place: typing grows one item a character at a time, and
    /// copying its content at every keystroke would make that quadratic.
    mutating func merge(_ other: Content) -> Bool {
        // Matched on `self` alone (not a tuple, which would hold a second reference).
        switch other {
        case .deleted(let b):
            guard case .deleted(let a) = self else { return false }
            self = .deleted(a + b)
        case .string(let more):
            guard case .string(var units) = self else { return false }
            self = .deleted(0)  // drop self's reference so the units are held once
            units.append(more)
            self = .string(units)
        case .any(let more):
            guard case .any(var values) = self else { return false }
            self = .deleted(0)
            values.append(contentsOf: more)
            self = .any(values)
        case .json(let more):
            guard case .json(var values) = self else { return false }
            self = .deleted(0)
            values.append(contentsOf: more)
            self = .json(values)
        default:
            return false
        }
        return true
    }

    /// Appends typed text to text content in place; false for other content.
    mutating func append(typed units: [UInt16]) -> Bool {
        guard case .string(var text) = self else { return false }
        self = .deleted(0)  // drop self's reference so the units are held once
        text.append(typed: units)
        self = .string(text)
        return true
    }

    /// The values the content contributes to an array or map.
    func values() -> [YValue] {
        switch self {
        case .deleted, .format: return []
        case .json(let texts): return texts.map { .any(Lib0Any(jsonText: $0)) }
        case .binary(let bytes): return [.any(.bytes(bytes))]
        case .string(let units): return units.units().map { .any(.string(String(decoding: [$0], as: UTF16.self))) }
        case .embed(let text): return [.any(Lib0Any(jsonText: text))]
        case .type(let type): return [YValue(type)]
        case .any(let values): return values.map { .any($0) }
        case .doc(let guid, _): return [.any(.string(guid))]
        }
    }
}
