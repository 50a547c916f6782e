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
    /// What a type prints as.
    enum JSONShape { case object, array, string }

    /// A type of any kind prints by its kind (roots of unknown kind as maps
    /// if they have keys, else as arrays).
    static func jsonShape(_ type: YType) -> JSONShape {
        switch type.kind {
        case .text, .xmlText: return .string
        case .map, .xmlElement, .xmlHook: return .object
        case .array, .xmlFragment: return .array
        case .unknown: return type.map.isEmpty && type.start != nil ? .array : .object
        }
    }

    /// JSON of a type of any kind.
    static func json(_ type: YType) -> Lib0Any { json(type, as: jsonShape(type)) }

    /// One value of a map or an array while printing: plain data, or a
    /// nested type still to print.
    private enum JSONEntry {
        case value(Lib0Any)
        case type(YType)
    }

    /// A map or an array being printed: its entries, how many are done, and
    /// what they gave.
    private struct JSONFrame {
        let isObject: Bool
        /// The key this container goes under in the one that holds it.
        let key: String
        let entries: [(key: String, entry: JSONEntry)]
        var next = 0
        var values: [Lib0Any] = []
        var members: [(key: String, value: Lib0Any)] = []

        mutating func append(_ key: String, _ value: Lib0Any) {
            if isObject { members.append((key, value)) } else { values.append(value) }
        }
    }

    /// JSON of `root` and everything nested in it, printed as `shape`.
    /// Nested types may nest deeply: containers still being filled are kept
    /// on a stack of frames, not on the call stack.
    static func json(_ root: YType, as shape: JSONShape) -> Lib0Any {
        if shape == .string { return .string(YText.string(of: root)) }
        var stack = [frame(root, isObject: shape == .object, key: "")]
        while true {
            let top = stack.count - 1
            if stack[top].next < stack[top].entries.count {
                let (key, entry) = stack[top].entries[stack[top].next]
                stack[top].next += 1
                switch entry {
                case .value(let value):
                    stack[top].append(key, value)
                case .type(let type):
                    switch jsonShape(type) {
                    case .string: stack[top].append(key, .string(YText.string(of: type)))
                    case .object: stack.append(frame(type, isObject: true, key: key))
                    case .array: stack.append(frame(type, isObject: false, key: key))
                    }
                }
            } else {
                let done = stack.removeLast()
                let value: Lib0Any = done.isObject ? .object(done.members) : .array(done.values)
                if stack.isEmpty { return value }
                stack[stack.count - 1].append(done.key, value)
            }
        }
    }

    /// A type's entries: a map's newest value of each key (sorted), or the
    /// values of a list's items.
    private static func frame(_ type: YType, isObject: Bool, key: String) -> JSONFrame {
        var entries: [(key: String, entry: JSONEntry)] = []
        if isObject {
            for key in type.map.keys.sorted() {
                guard let item = type.map[key], !item.isDeleted, let last = jsonEntries(item.content).last else { continue }
                entries.append((key.string, last))
            }
        } else {
            for item in type.items where !item.isDeleted && item.isCountable {
                for entry in jsonEntries(item.content) { entries.append(("", entry)) }
            }
        }
        return JSONFrame(isObject: isObject, key: key, entries: entries)
    }

    private static func jsonEntries(_ content: Content) -> [JSONEntry] {
        if case .type(let type) = content { return [.type(type)] }
        return content.values().map { value in
            if case .any(let plain) = value { return .value(plain) }
            return .value(value.toJSON())  // not reached: only a type's content holds a type
        }
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

extension Doc {
    /// Every non-empty root's content, whatever kind it was declared as
    /// here: its keys and its list (text a unit a value), by root name. A
    /// root's kind is known only where it was read, so replicas compare by
    /// this (the fuzz targets' convergence checks), not by `map`, `array`
    /// or `text`, which would print one replica's text root as the other's
    /// empty map.
    public func contentJSON() -> Lib0Any {
        .object(rootNames.compactMap { name -> (String, Lib0Any)? in
            guard let type = share[ExactKey(name)], !type.map.isEmpty || type.start != nil else { return nil }
            return (name, .object([("keys", YType.json(type, as: .object)), ("list", YType.json(type, as: .array))]))
        })
    }
}
