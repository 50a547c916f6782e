import JSON

/// JSON indented for reading (a dataclip's body on the page).
enum PrettyJSON {
    /// At most `limit` characters of it, and whether it was cut.
    static func text(_ value: JSONValue, limit: Int = 64 << 10) -> (String, truncated: Bool) {
        var out = ""
        write(value, indent: "", into: &out)
        guard out.utf8.count > limit else { return (out, false) }
        return (String(decoding: out.utf8.prefix(limit), as: UTF8.self), true)
    }

    static func write(_ value: JSONValue, indent: String, into out: inout String) {
        switch value {
        case .array(let items) where !items.isEmpty:
            out += "[\n"
            for (index, item) in items.enumerated() {
                out += indent + "  "
                write(item, indent: indent + "  ", into: &out)
                out += index == items.count - 1 ? "\n" : ",\n"
            }
            out += indent + "]"
        case .object(let members) where !members.isEmpty:
            out += "{\n"
            for (index, member) in members.enumerated() {
                out += indent + "  " + JSONValue.string(member.key).serializedString() + ": "
                write(member.value, indent: indent + "  ", into: &out)
                out += index == members.count - 1 ? "\n" : ",\n"
            }
            out += indent + "}"
        default:
            out += value.serializedString()
        }
    }
}
