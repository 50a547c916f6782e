public import Encoding
import JSON

/// A value read from a shared type: plain data, or a nested shared type.
public enum YValue {
    case any(Lib0Any)
    case map(YMap)
    case array(YArray)
    case text(YText)
    /// An XML type or a root of unknown kind.
    case other(YType)

    init(_ type: YType) {
        guard let doc = type.doc else {
            self = .other(type)
            return
        }
        switch type.kind {
        case .map: self = .map(YMap(type: type, doc: doc))
        case .array: self = .array(YArray(type: type, doc: doc))
        case .text: self = .text(YText(type: type, doc: doc))
        default: self = .other(type)
        }
    }

    /// The value as JSON-like data, as a Yjs client's `toJSON` gives it.
    public func toJSON() -> Lib0Any {
        switch self {
        case .any(let value): return value
        case .map(let m): return m.toJSON()
        case .array(let a): return a.toJSON()
        case .text(let t): return .string(t.string)
        case .other(let type): return YType.json(type)
        }
    }
}

/// What may be inserted into a shared type: plain data, or a new nested type with its initial content.
public enum YInput: Sendable {
    case value(Lib0Any)
    case map([(key: String, value: YInput)])
    case array([YInput])
    case text(String)

    public static func string(_ s: String) -> YInput { .value(.string(s)) }
    public static func number(_ n: Double) -> YInput { .value(.number(n)) }
    public static func bool(_ b: Bool) -> YInput { .value(.bool(b)) }
    public static let null = YInput.value(.null)
}

extension YType {
    /// JSON of a type of any kind (roots of unknown kind print as maps if they have keys, else arrays).
    static func json(_ type: YType) -> Lib0Any {
        switch type.kind {
        case .text, .xmlText: return .string(YText.string(of: type))
        case .map, .xmlElement, .xmlHook: return mapJSON(type)
        case .array, .xmlFragment: return arrayJSON(type)
        case .unknown: return type.map.isEmpty && type.start != nil ? arrayJSON(type) : mapJSON(type)
        }
    }

    static func mapJSON(_ type: YType) -> Lib0Any {
        var members: [(key: String, value: Lib0Any)] = []
        for key in type.map.keys.sorted() {
            guard let item = type.map[key], !item.isDeleted, let last = item.content.values().last else { continue }
            members.append((key, last.toJSON()))
        }
        return .object(members)
    }

    static func arrayJSON(_ type: YType) -> Lib0Any {
        var values: [Lib0Any] = []
        for item in type.items where !item.isDeleted && item.isCountable {
            values.append(contentsOf: item.content.values().map { $0.toJSON() })
        }
        return .array(values)
    }
}

extension Lib0Any {
    /// A legacy JSON content value; text that is not JSON stays a string.
    init(jsonText: String) {
        if jsonText == "undefined" {
            self = .undefined
            return
        }
        guard let value = try? JSONParser.parse(jsonText) else {
            self = .string(jsonText)
            return
        }
        self.init(value)
    }

    init(_ json: JSONValue) {
        switch json {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .number(let text): self = .number(Double(text) ?? 0)
        case .string(let s): self = .string(s)
        case .array(let items): self = .array(items.map(Lib0Any.init))
        case .object(let members): self = .object(members.map { ($0.key, Lib0Any($0.value)) })
        }
    }
}
