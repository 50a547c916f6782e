import Encoding
import JSON

/// The numbers inside a workflow's free-form values (`positions`, a kafka
/// trigger's `kafka_configuration`) that its document cannot keep: the
/// document's numbers are doubles, and JSON has no infinity or NaN, so such
/// a number comes back from the document as null. Validation refuses them
/// in JSON, and the document's repair names them (docs/documents.md,
/// "Workflow documents").
///
/// A walk writes out a number's path only when it lists the number, and
/// lists at most `listed`: writing out every visited node's path costs the
/// path's length at each node, and one long key over many numbers made that
/// gigabytes from a 1 MB publish (review, session 22).
struct UnrepresentableNumbers<Number> {
    static var listed: Int { 10 }

    /// The first `listed` numbers found, in document order, with their paths.
    private(set) var first: [(path: String, number: Number)] = []
    /// How many were found in all.
    private(set) var count = 0
    var unlisted: Int { count - first.count }

    fileprivate mutating func found(_ number: Number, at path: ValuePath) {
        count += 1
        if first.count < Self.listed { first.append((path.description, number)) }
    }
}

/// A place in a nested value (`positions.node[1]`), kept as steps until it is written out.
private struct ValuePath: CustomStringConvertible {
    enum Step {
        case key(String)
        case index(Int)
    }
    /// A longer key is cut where it is written out: a path names a place, it
    /// need not copy a key of any length into every message. Bytes, not
    /// characters: one character may hold any number of combining marks.
    static let keyBytes = 64

    let root: String
    var steps: [Step] = []

    var description: String {
        steps.reduce(into: root) { path, step in
            switch step {
            case .key(let key):
                path += "." + (key.utf8.count > Self.keyBytes ? Self.cut(key) + "…" : key)
            case .index(let i): path += "[\(i)]"
            }
        }
    }

    /// The longest start of `key` of at most `keyBytes` bytes that ends on a Unicode scalar.
    static func cut(_ key: String) -> String {
        var bytes = 0
        var end = key.unicodeScalars.startIndex
        for index in key.unicodeScalars.indices {
            bytes += key.unicodeScalars[index].utf8.count
            if bytes > keyBytes { break }
            end = key.unicodeScalars.index(after: index)
        }
        return String(key.unicodeScalars[..<end])
    }
}

extension UnrepresentableNumbers<String> {
    /// The lexemes in JSON `value` that read as an infinite double (`1e400`).
    init(in value: JSONValue, at root: String) {
        var path = ValuePath(root: root)
        visit(value, &path) { value in
            switch value {
            case .number(let lexeme): Double(lexeme).map { $0.isFinite } == true ? .other : .unrepresentable(lexeme)
            case .array(let items): .items(items)
            case .object(let members): .members(members)
            default: .other
            }
        }
    }
}

extension UnrepresentableNumbers<Double> {
    /// The NaN and infinite numbers in Yjs `value`.
    init(in value: Lib0Any, at root: String) {
        var path = ValuePath(root: root)
        visit(value, &path) { value in
            switch value {
            case .number(let n): n.isFinite ? .other : .unrepresentable(n)
            case .array(let items): .items(items)
            case .object(let members): .members(members)
            default: .other
            }
        }
    }
}

extension UnrepresentableNumbers {
    fileprivate enum Node<Value> {
        case unrepresentable(Number)
        case items([Value])
        case members([(key: String, value: Value)])
        case other
    }

    fileprivate mutating func visit<Value>(_ value: Value, _ path: inout ValuePath, _ node: (Value) -> Node<Value>) {
        switch node(value) {
        case .unrepresentable(let number): found(number, at: path)
        case .items(let items):
            for (i, item) in items.enumerated() {
                path.steps.append(.index(i))
                visit(item, &path, node)
                path.steps.removeLast()
            }
        case .members(let members):
            for (key, member) in members {
                path.steps.append(.key(key))
                visit(member, &path, node)
                path.steps.removeLast()
            }
        case .other: break
        }
    }
}
