import Encoding
import Testing

@testable import YDoc

/// Session 16: an update whose embed, format value or JSON content is not
/// JSON text was accepted, stored and relayed; Yjs reads those with
/// `JSON.parse` and throws on the whole update, so no Yjs editor could
/// open the document again. Refused now, as Yjs refuses it.
@Suite struct JSONContentTests {
    /// One item of client 7 at clock 0 in root text "t", with `content`
    /// (its ref, then its bytes), and no deletions.
    static func update(ref: UInt8, _ content: (inout ByteWriter) -> Void) -> [UInt8] {
        var w = ByteWriter()
        w.writeVarUInt(UInt64(1))  // one client
        w.writeVarUInt(UInt64(1))  // one struct
        w.writeVarUInt(UInt64(7))  // client
        w.writeVarUInt(UInt64(0))  // clock
        w.writeUInt8(ref)  // no origins, no parent sub
        w.writeVarUInt(UInt64(1))  // parent named by a root key
        w.writeVarString("t")
        content(&w)
        w.writeVarUInt(UInt64(0))  // no deletions
        return w.bytes
    }

    static func embed(_ json: String) -> [UInt8] { update(ref: 5) { $0.writeVarString(json) } }
    static func format(_ value: String) -> [UInt8] { update(ref: 6) { $0.writeVarString("bold"); $0.writeVarString(value) } }
    static func json(_ values: [String]) -> [UInt8] {
        update(ref: 2) { w in
            w.writeVarUInt(UInt64(values.count))
            for value in values { w.writeVarString(value) }
        }
    }

    @Test(arguments: [embed("nope"), embed(""), format("{bold"), json(["1", "[2"]), json(["undefine"])])
    func contentThatIsNotJSONIsRefusedAndChangesNothing(_ update: [UInt8]) {
        let doc = Doc(clientID: 1)
        #expect(throws: YDocError.self) { try doc.checkUpdate(update) }
        #expect(throws: YDocError.self) { try doc.applyUpdate(update) }
        #expect(doc.stateVector.isEmpty)
    }

    /// The update, and its item's length (a JSON content item is as long as its values).
    @Test(arguments: [(embed(#"{"image":"a.png"}"#), 1), (embed("null"), 1), (format("true"), 1),
                      (format(#" {"href":"x"} "#), 1), (json(["1", "\"a\"", "undefined", "[]"]), 4)] as [([UInt8], UInt64)])
    func jsonContentIsAccepted(_ update: [UInt8], _ length: UInt64) throws {
        let doc = Doc(clientID: 1)
        try doc.checkUpdate(update)
        try doc.applyUpdate(update)
        #expect(doc.stateVector == [7: length])
    }

    /// What `JSON.parse` reads and `JSONParser` does not is still taken
    /// (session 17's review): a format value holding a cut emoji, as Yjs
    /// itself writes it (`t.insert(0, 'ab', {comment: '😀😀'.slice(0, 3)})`),
    /// and an embed nested deeper than `JSONParser.maxDepth`.
    @Test(arguments: [format(#""😀\ud83d""#), embed(#"{"alt":"\ud83d"}"#),
                      embed(String(repeating: "[", count: 600) + String(repeating: "]", count: 600))])
    func whatJSONParseReadsIsAccepted(_ update: [UInt8]) throws {
        let doc = Doc(clientID: 1)
        try doc.checkUpdate(update)
        try doc.applyUpdate(update)
        #expect(doc.stateVector == [7: 1])
    }

    /// Items of client 7 from clock 0, each under root text "t" with no
    /// origins: `lists` are the struct lists the update gives client 7 in
    /// turn (a client listed twice is two lists), each item its content's
    /// ref and bytes.
    static func lists(_ lists: [[(ref: UInt8, write: (inout ByteWriter) -> Void)]]) -> [UInt8] {
        var w = ByteWriter()
        w.writeVarUInt(UInt64(lists.count))
        for items in lists {
            w.writeVarUInt(UInt64(items.count))
            w.writeVarUInt(UInt64(7))
            w.writeVarUInt(UInt64(0))
            for item in items {
                w.writeUInt8(item.ref)
                w.writeVarUInt(UInt64(1))
                w.writeVarString("t")
                item.write(&w)
            }
        }
        w.writeVarUInt(UInt64(0))
        return w.bytes
    }

    static func embedItem(_ json: String) -> (ref: UInt8, write: (inout ByteWriter) -> Void) { (5, { $0.writeVarString(json) }) }

    /// Yjs parses every struct before it integrates any, so it refuses a
    /// bad item wherever the update holds it: after a good one, and in the
    /// earlier list of a client listed twice, which the later list replaces
    /// and which Cairn's check once never saw (session 17's review).
    @Test(arguments: [lists([[embedItem("1"), embedItem("nope")]]), lists([[embedItem("nope")], [embedItem("1")]])])
    func aBadItemAnywhereInTheUpdateRefusesItWhole(_ update: [UInt8]) {
        let doc = Doc(clientID: 1)
        #expect(throws: YDocError.self) { try doc.checkUpdate(update) }
        #expect(throws: YDocError.self) { try doc.applyUpdate(update) }
        #expect(doc.stateVector.isEmpty)
    }

    /// An item the document already holds is parsed too, as in Yjs: such
    /// an update is relayed to the room's Yjs editors as it came.
    @Test func aHeldItemThatIsNotJSONIsStillRefused() throws {
        let doc = Doc(clientID: 1)
        try doc.applyStoredUpdate(Self.embed("nope"))
        #expect(throws: YDocError.self) { try doc.applyUpdate(Self.embed("nope")) }
        try doc.applyUpdate(Self.embed("1"))  // the same clock, JSON: already held, nothing changes
        #expect(doc.stateVector == [7: 1])
    }

    /// A folder written before the check still opens: stored updates are
    /// loaded as they were accepted.
    @Test func aStoredUpdateWithSuchContentStillLoads() throws {
        let doc = Doc(clientID: 1)
        try doc.applyStoredUpdate(Self.embed("nope"))
        #expect(doc.stateVector == [7: 1])
    }
}
