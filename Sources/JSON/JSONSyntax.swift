/// Checks that text is one JSON value as ECMAScript's `JSON.parse` reads it,
/// without building the value. Yjs reads embeds, format values and JSON
/// content with `JSON.parse` and refuses a whole update when one throws, so
/// an update Cairn accepts must pass exactly this grammar (docs/documents.md,
/// "Content Yjs reads as JSON").
///
/// Where it differs from `JSONParser`, on purpose, because `JSON.parse` does:
/// - a `\u` escape may name a lone surrogate (JavaScript strings are UTF-16,
///   and `JSON.stringify` writes a cut emoji that way);
/// - nesting has no limit. The check is iterative and keeps one byte per
///   open container, so depth costs neither stack nor more memory than the
///   text itself.
///
/// The rest is RFC 8259, as `JSON.parse` has it: whitespace is space, tab,
/// line feed and carriage return only (a byte order mark is not); numbers
/// have no leading zeros, `+`, bare `.` or exponent without digits, and any
/// magnitude is a number (`1e400` is Infinity there); a string holds no
/// control character below U+0020 unescaped.
public enum JSONSyntax {
    public static func check(_ text: String) throws(JSONError) {
        var text = text
        let result: Result<Void, JSONError> = text.withUTF8 { bytes in
            var scanner = Scanner(bytes: bytes)
            do throws(JSONError) {
                try scanner.scan()
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }

    private struct Scanner {
        let bytes: UnsafeBufferPointer<UInt8>
        var position = 0
        /// The open containers, innermost last: `{` or `[`.
        var open: [UInt8] = []

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        func error(_ message: String) -> JSONError { JSONError(offset: position, message: message) }

        var atEnd: Bool { position >= bytes.count }

        mutating func skipWhitespace() {
            while position < bytes.count {
                switch bytes[position] {
                case 0x20, 0x09, 0x0A, 0x0D: position += 1
                default: return
                }
            }
        }

        /// Consumes `byte` (after whitespace) or throws `message`.
        mutating func expect(_ byte: UInt8, _ message: String) throws(JSONError) {
            skipWhitespace()
            guard !atEnd, bytes[position] == byte else { throw error(atEnd ? "unexpected end of input" : message) }
            position += 1
        }

        mutating func scan() throws(JSONError) {
            skipWhitespace()
            while true {
                // A value starts here.
                guard !atEnd else { throw error("unexpected end of input") }
                switch bytes[position] {
                case let opener where opener == UInt8(ascii: "{") || opener == UInt8(ascii: "["):
                    position += 1
                    skipWhitespace()
                    if !atEnd, bytes[position] == Self.closer(of: opener) {
                        position += 1  // empty
                    } else {
                        open.append(opener)
                        if opener == UInt8(ascii: "{") { try member() }
                        continue
                    }
                case UInt8(ascii: "\""): try string()
                case UInt8(ascii: "t"): try literal("true")
                case UInt8(ascii: "f"): try literal("false")
                case UInt8(ascii: "n"): try literal("null")
                case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number()
                default: throw error("unexpected byte 0x\(String(bytes[position], radix: 16, uppercase: true))")
                }
                // A value ended: close what it ends, then the next value or the end.
                while true {
                    skipWhitespace()
                    guard let container = open.last else {
                        guard atEnd else { throw error("unexpected data after the JSON value") }
                        return
                    }
                    guard !atEnd else { throw error("unexpected end of input") }
                    let byte = bytes[position]
                    position += 1
                    if byte == UInt8(ascii: ",") {
                        skipWhitespace()
                        if container == UInt8(ascii: "{") { try member() }
                        break
                    }
                    let closer = Self.closer(of: container)
                    guard byte == closer else {
                        position -= 1
                        throw error("expected ',' or '\(Character(Unicode.Scalar(closer)))'")
                    }
                    open.removeLast()
                }
            }
        }

        static func closer(of opener: UInt8) -> UInt8 {
            opener == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
        }

        /// An object member's key and colon; its value follows.
        mutating func member() throws(JSONError) {
            guard !atEnd, bytes[position] == UInt8(ascii: "\"") else {
                throw error(atEnd ? "unexpected end of input" : "expected a string key")
            }
            try string()
            try expect(UInt8(ascii: ":"), "expected ':'")
            skipWhitespace()
        }

        mutating func literal(_ word: StaticString) throws(JSONError) {
            let count = word.utf8CodeUnitCount
            guard position + count <= bytes.count else { throw error("unexpected end of input") }
            for i in 0..<count where bytes[position + i] != word.utf8Start[i] { throw error("invalid literal") }
            position += count
        }

        mutating func digits() -> Int {
            let from = position
            while position < bytes.count, bytes[position] >= 0x30, bytes[position] <= 0x39 { position += 1 }
            return position - from
        }

        mutating func number() throws(JSONError) {
            if bytes[position] == UInt8(ascii: "-") { position += 1 }
            guard !atEnd else { throw error("incomplete number") }
            if bytes[position] == UInt8(ascii: "0") {
                position += 1
            } else if digits() == 0 {
                throw error("invalid number")
            }
            if !atEnd, bytes[position] == UInt8(ascii: ".") {
                position += 1
                guard digits() > 0 else { throw error("expected digits after '.'") }
            }
            if !atEnd, bytes[position] | 0x20 == UInt8(ascii: "e") {
                position += 1
                if !atEnd, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") { position += 1 }
                guard digits() > 0 else { throw error("expected digits in the exponent") }
            }
        }

        /// A string from its opening quote. The text is a Swift `String`, so
        /// its UTF-8 is valid already; only escapes and control bytes are checked.
        mutating func string() throws(JSONError) {
            position += 1
            while true {
                guard !atEnd else { throw error("unterminated string") }
                let byte = bytes[position]
                position += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return
                case UInt8(ascii: "\\"):
                    guard !atEnd else { throw error("unterminated escape") }
                    let escape = bytes[position]
                    position += 1
                    switch escape {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                        UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                        continue
                    case UInt8(ascii: "u"):
                        // Any four hex digits, a lone surrogate included.
                        guard position + 4 <= bytes.count else { throw error("incomplete \\u escape") }
                        for _ in 0..<4 {
                            switch bytes[position] {
                            case 0x30...0x39, 0x41...0x46, 0x61...0x66: position += 1
                            default: throw error("invalid hex digit in \\u escape")
                            }
                        }
                    default:
                        position -= 1
                        throw error("invalid escape")
                    }
                case 0x00..<0x20:
                    position -= 1
                    throw error("control character in a string")
                default:
                    continue
                }
            }
        }
    }
}
