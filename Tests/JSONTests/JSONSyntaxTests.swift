@testable import JSON
import TestSupport
import Testing

/// The check behind Yjs content (embeds, format values, JSON content):
/// exactly what ECMAScript's `JSON.parse` reads, since Yjs refuses a whole
/// update when `JSON.parse` throws on one of them.
@Suite struct JSONSyntaxTests {
    static func accepts(_ text: String) -> Bool { (try? JSONSyntax.check(text)) != nil }

    /// 5,156 texts, mutations of valid JSON, with the verdict node's
    /// `JSON.parse` gave each (fixtures/README.md).
    struct Cases: Decodable {
        struct Case: Decodable {
            var text: String
            var accepted: Bool
        }
        var cases: [Case]
    }

    @Test func agreesWithJSONParseOnEveryCase() throws {
        let cases = try Fixtures.decode(Cases.self, "json/json-parse-cases.json").cases
        #expect(cases.count > 5000)
        for entry in cases {
            #expect(Self.accepts(entry.text) == entry.accepted, "\(entry.text.debugDescription): JSON.parse says \(entry.accepted)")
        }
        #expect(cases.filter(\.accepted).count > 500)  // both verdicts are well represented
    }

    /// Where it is looser than `JSONParser`, as `JSON.parse` is: a lone
    /// surrogate escape (a cut emoji, as `JSON.stringify` writes it) and
    /// nesting past `JSONParser.maxDepth`, here 100,000 deep, with no stack.
    @Test func loneSurrogatesAndAnyDepthAreJSON() {
        for text in [#""\ud83d""#, #"{"comment":"😀\ud83d"}"#, #""\udc00\ud800""#] {
            #expect(Self.accepts(text), "\(text)")
            #expect(throws: JSONError.self) { try JSONParser.parse(text) }
        }
        let depth = 100_000
        #expect(Self.accepts(String(repeating: "[", count: depth) + String(repeating: "]", count: depth)))
        #expect(Self.accepts(String(repeating: #"{"a":"#, count: depth) + "0" + String(repeating: "}", count: depth)))
        #expect(!Self.accepts(String(repeating: "[", count: depth) + String(repeating: "]", count: depth - 1)))
        #expect(!Self.accepts(String(repeating: "[", count: depth) + "}" + String(repeating: "]", count: depth - 1)))
    }

    /// Everything `JSONParser` reads, it reads: the same texts, the same verdict.
    @Test(arguments: [
        " {\"a\" : [1, -2.5, true, false, null, \"x\", {}, []] , \"b\":{\"c\":\"d\"} } ", "0", "-0", "1e400", "1E+2", "\"\"",
        #""\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00""#, "{\"a\":1,\"a\":2}", "[[],[{}]]", "\"\u{2028}é中😀\"",
    ])
    func validJSONIsAccepted(_ text: String) throws {
        _ = try JSONParser.parse(text)
        #expect(Self.accepts(text))
    }

    /// A refusal says where: the byte offset of what is wrong.
    @Test(arguments: [
        ("", 0), ("\u{FEFF}1", 0), ("01", 1), ("1.", 2), ("+1", 0), ("[1,]", 3), ("{\"a\" 1}", 5), ("{\"a\":1,}", 7),
        ("\"a\u{1}\"", 2), ("\"\\x\"", 2), ("\"\\u12\"", 3), ("[1} ", 2), ("nul", 0), ("1 2", 2), ("{1:2}", 1),
        ("\"open", 5), ("[", 1), ("\"\\u00g0\"", 5), ("\"\\uG000\"", 3),
    ] as [(String, Int)])
    func refusalsNameTheirOffset(_ text: String, _ offset: Int) {
        #expect(throws: JSONError.self, "\(text.debugDescription)") { try JSONSyntax.check(text) }
        do { try JSONSyntax.check(text) } catch { #expect(error.offset == offset, "\(text.debugDescription): \(error)") }
        #expect((try? JSONParser.parse(text)) == nil)
    }
}
