@testable import JSON
import TestSupport
import Testing

/// The parser every byte of worker input, workflow file and dataclip body
/// goes through (Sources/JSON): what it keeps, what it refuses and where.
@Suite struct JSONParserTests {
    @Test func valuesOfEveryKindParse() throws {
        let value = try JSONParser.parse(#" { "a" : [1, -2.5, true, false, null, "x", {}, []] , "b":{"c":"d"} } "#)
        #expect(value == .object([
            ("a", .array([.number("1"), .number("-2.5"), .bool(true), .bool(false), .null, .string("x"), .object([]), .array([])])),
            ("b", .object([("c", .string("d"))])),
        ]))
        for (text, expected) in [("0", JSONValue.number("0")), ("\"\"", .string("")), ("null", .null), ("true", .bool(true)),
                                 ("\t\r\n [ ] \n", .array([]))] {
            #expect(try JSONParser.parse(text) == expected, "\(text)")
        }
    }

    @Test func escapesAndUnicode() throws {
        #expect(try JSONParser.parse(#""\"\\\/\b\f\n\r\t""#) == .string("\"\\/\u{08}\u{0C}\n\r\t"))
        #expect(try JSONParser.parse(#""\u00e9\u4E2D\ud83d\ude00""#) == .string("é中😀"))
        #expect(try JSONParser.parse("\"é中😀 raw\"") == .string("é中😀 raw"))
        #expect(try JSONParser.parse(#""a\u0000b""#) == .string("a\u{0}b"))
    }

    /// Objects keep their members in document order, duplicates included;
    /// a lookup takes the last, as JavaScript does.
    @Test func keyOrderAndDuplicatesAreKept() throws {
        let value = try JSONParser.parse(#"{"z":1,"a":2,"m":3,"a":4}"#)
        #expect(value.objectValue?.map(\.key) == ["z", "a", "m", "a"])
        #expect(value["a"] == .number("4"))
        #expect(value.serializedString() == #"{"z":1,"a":2,"m":3,"a":4}"#)
    }

    /// A number keeps the text it was written in, so a body round-trips
    /// exactly (no float rounding of 0.1 or of integers past 2^53).
    @Test(arguments: ["0", "-0", "1.0", "0.1", "1e300", "1E+2", "-1.5e-7", "123456789012345678901234567890",
                      "9007199254740993", "3.141592653589793238462643383279"])
    func numberTextIsPreserved(_ text: String) throws {
        let value = try JSONParser.parse("[\(text)]")
        #expect(value == .array([.number(text)]))
        #expect(value.serializedString() == "[\(text)]")
    }

    /// Each kind of malformed input: the error names the byte offset where
    /// the text stops being JSON, and what was wrong.
    @Test(arguments: [
        ("", 0, "unexpected end of input"),
        ("   ", 3, "unexpected end of input"),
        ("[", 1, "unexpected end of input"),
        ("[1", 2, "unexpected end of input in an array"),
        (#"{"a":1"#, 6, "unexpected end of input in an object"),
        ("[1,]", 3, "unexpected ']'"),
        ("[1 2]", 3, "expected ',' or ']'"),
        (#"{"a":1 "b":2}"#, 7, "expected ',' or '}'"),
        ("{1:2}", 1, "expected a string key"),
        (#"{"a" 1}"#, 5, "expected ':'"),
        ("01", 1, "unexpected data after the JSON value"),
        ("1 2", 2, "unexpected data after the JSON value"),
        ("-", 1, "incomplete number"),
        ("-x", 1, "invalid number"),
        ("1.", 2, "expected digits after '.'"),
        ("1e+", 3, "expected digits in the exponent"),
        ("+1", 0, "unexpected '+'"),
        (".5", 0, "unexpected '.'"),
        ("tru", 0, "unexpected end of input"),
        ("trux", 0, "invalid literal"),
        ("nul", 0, "unexpected end of input"),
        ("NaN", 0, "unexpected 'N'"),
        (#""abc"#, 4, "unterminated string"),
        ("\"a\u{1}\"", 2, "control character in a string"),
        (#""\x""#, 3, "invalid escape '\\x'"),
        (#""\"#, 2, "unterminated escape"),
        (#""\u12G4""#, 5, "invalid hex digit in \\u escape"),
        (#""\u12""#, 3, "incomplete \\u escape"),
        (#""\ud800""#, 7, "unpaired surrogate"),
        (#""\ud800\u0041""#, 13, "unpaired surrogate"),
        (#""\udc00""#, 7, "unpaired surrogate"),
    ])
    func malformedInputIsRefusedWithItsOffset(_ text: String, _ offset: Int, _ message: String) {
        #expect(throws: JSONError(offset: offset, message: message)) { try JSONParser.parse(text) }
    }

    @Test func bytesThatAreNotUTF8AreRefused() {
        // The offset of the run of raw bytes that holds the bad one.
        #expect(throws: JSONError(offset: 1, message: "invalid UTF-8 in a string")) {
            try JSONParser.parse([0x22, 0x61, 0xFF, 0x22] as [UInt8])
        }
        #expect(throws: JSONError(offset: 0, message: "unexpected byte 0x0")) { try JSONParser.parse([0x00]) }
        #expect(throws: JSONError(offset: 0, message: "unexpected byte 0xEF")) { try JSONParser.parse([0xEF, 0xBB, 0xBF, 0x31]) }
    }

    /// The parser recurses once per level; nesting is bounded so hostile
    /// input (a megabyte of `[`) is a typed error, not a stack overflow.
    @Test func nestingIsBounded() throws {
        let depth = JSONParser.maxDepth
        let deepest = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        var value = try JSONParser.parse(deepest)
        for _ in 1..<depth { value = try #require(value.arrayValue?.first) }
        #expect(value == .array([]))

        let tooDeep = String(repeating: "[", count: depth + 1) + String(repeating: "]", count: depth + 1)
        #expect(throws: JSONError(offset: depth, message: "nested too deeply")) { try JSONParser.parse(tooDeep) }
        let million = [UInt8](repeating: UInt8(ascii: "["), count: 1_000_000)
        #expect(throws: JSONError(offset: depth, message: "nested too deeply")) { try JSONParser.parse(million) }
        let objects = String(repeating: #"{"a":"#, count: 1_000_000)
        #expect(throws: JSONError(offset: depth * 5, message: "nested too deeply")) { try JSONParser.parse(objects) }
    }

    /// Seeded random documents: what the writer writes parses back to the
    /// same value, and no truncation of it parses or traps.
    @Test func randomDocumentsRoundTripAndTruncationsFail() throws {
        var rng = SplitMix64(seed: 17)
        func value(_ depth: Int) -> JSONValue {
            switch rng.next() % (depth > 3 ? 4 : 6) {
            case 0: return .null
            case 1: return .bool(rng.next() % 2 == 0)
            case 2: return .number(String(Int64(bitPattern: rng.next()) >> Int64(rng.next() % 64)))
            case 3: return .string(String((0..<Int(rng.next() % 6)).map { _ in "a\"\\é\n😀 ".randomElement(using: &rng)! }))
            case 4: return .array((0..<Int(rng.next() % 4)).map { _ in value(depth + 1) })
            default: return .object((0..<Int(rng.next() % 4)).map { i in ("k\(i)", value(depth + 1)) })
            }
        }
        for _ in 0..<300 {
            let document = JSONValue.array([value(0)])
            let text = document.serialized()
            #expect(try JSONParser.parse(text) == document)
            for cut in 0..<text.count {
                #expect(throws: JSONError.self) { try JSONParser.parse(text[0..<cut]) }
            }
        }
    }

    /// JSON has no NaN or infinity: a double that is neither is a number
    /// lexeme, anything else is null (not a `.number` holding "null", which
    /// `int64Value`, `doubleValue` and equality would read as a number).
    @Test func doublesBecomeNumbersOrNull() throws {
        #expect(JSONValue.number(Double.nan) == .null)
        #expect(JSONValue.number(Double.infinity) == .null)
        #expect(JSONValue.number(-Double.infinity).serializedString() == "null")
        #expect(JSONValue.number(3.0) == .number("3"))
        #expect(JSONValue.number(-2.5) == .number("-2.5"))
        let big = JSONValue.number(1e300)
        #expect(try JSONParser.parse(big.serializedString()) == big)
    }
}
