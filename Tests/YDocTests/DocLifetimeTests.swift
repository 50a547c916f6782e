import Testing

@testable import YDoc

/// A document's struct graph is full of reference cycles (a type and its
/// items point at each other). When the document goes, all of it must go:
/// a service loads documents all day.
@Suite struct DocLifetimeTests {
    /// Weak references to what a document built: its root types, a nested
    /// type and items, all of which must be freed with the document.
    final class Probes {
        weak var root: YType?
        weak var nested: YType?
        weak var item: Item?
        weak var other: Item?
    }

    func build(_ probes: Probes) throws {
        let source = Doc(clientID: 1)
        source.transact { txn in
            source.map("m").set("k", .map([(key: "inner", value: .text("hello"))]), txn)
            source.text("t").insert(0, "abc", txn)
        }
        source.transact { txn in
            source.text("t").insert(1, "xyz", txn)
            source.text("t").delete(0, 2, txn)
        }
        // A replica that received it all as an update, as a loaded document is.
        let doc = Doc(clientID: 2)
        try doc.applyUpdate(try source.encodeStateAsUpdate())
        let text = doc.share[ExactKey("t")]
        probes.root = text
        probes.item = text?.start
        probes.other = doc.share[ExactKey("m")]?.map[ExactKey("k")]
        if case .type(let nested)? = probes.other?.content { probes.nested = nested }
        #expect(probes.root != nil && probes.item != nil && probes.nested != nil && probes.other != nil)
    }

    @Test func aDocumentFreesItsTypesAndItems() throws {
        let probes = Probes()
        try build(probes)
        #expect(probes.root == nil, "the root type outlived its document")
        #expect(probes.nested == nil, "a nested type outlived its document")
        #expect(probes.item == nil, "an item outlived its document")
        #expect(probes.other == nil, "a map entry outlived its document")
    }
}
