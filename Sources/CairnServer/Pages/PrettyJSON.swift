import JSON

/// JSON indented for reading (a dataclip's body on the page).
enum PrettyJSON {
    /// At most `limit` characters of it, and whether it was cut.
    static func text(_ value: JSONValue, limit: Int = 64 << 10) -> (String, truncated: Bool) {
        var out = ""
        write(value, indent: "", into: &out, limit: limit)
        guard out.utf8.count > limit else { return (out, false) }
        return (String(decoding: out.utf8.prefix(limit), as: UTF8.self), true)
    }

    /// Writes `value` until `out` holds more than `limit` bytes, then
    /// stops: what is not shown is not built (a deep body's indentation
    /// grows with its depth, and a 1 MB body took 600 MiB to indent whole).
    static func write(_ value: JSONValue, indent: String, into out: inout String, limit: Int = .max) {
        guard out.utf8.count <= limit else { return }
        switch value {
        case .array(let items) where !items.isEmpty:
            out += "[\n"
            for (index, item) in items.enumerated() {
                if out.utf8.count > limit { return }
                out += indent + "  "
                write(item, indent: indent + "  ", into: &out, limit: limit)
                // Past the limit, closing every open level would add each one's indentation again.
                if out.utf8.count > limit { return }
                out += index == items.count - 1 ? "\n" : ",\n"
            }
            out += indent + "]"
        case .object(let members) where !members.isEmpty:
            out += "{\n"
            for (index, member) in members.enumerated() {
                if out.utf8.count > limit { return }
                out += indent + "  " + JSONValue.string(member.key).serializedString() + ": "
                write(member.value, indent: indent + "  ", into: &out, limit: limit)
                if out.utf8.count > limit { return }
                out += index == members.count - 1 ? "\n" : ",\n"
            }
            out += indent + "}"
        default:
            out += value.serializedString()
        }
    }
}
