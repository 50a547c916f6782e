import JSON

extension UpdateDecoder {
    /// Refuses content that is not JSON text where Yjs reads JSON: embeds,
    /// format values and JSON content (`"undefined"` aside there). Yjs's
    /// decoder reads them with `JSON.parse` and throws on the whole update.
    /// Accepted here, such an update was stored and relayed, and every Yjs
    /// editor then threw on it, the document's state included: no Yjs
    /// client could open the document again (docs/documents.md, "Content
    /// Yjs reads as JSON").
    ///
    /// Run on every struct the decoder reads, as Yjs parses every struct
    /// before it integrates any: a struct the document already holds, and
    /// the earlier list of a client listed twice (which the later list
    /// replaces), are checked too. `JSONSyntax` takes what `JSON.parse`
    /// takes, lone surrogate escapes and any nesting included.
    static func requireJSON(_ content: Content, of id: ID) throws(YDocError) {
        switch content {
        case .embed(let text):
            try requireJSON(text, "embed", id)
        case .format(_, let value):
            try requireJSON(value, "format value", id)
        case .json(let values):
            for value in values where value != "undefined" { try requireJSON(value, "JSON content", id) }
        default:
            return
        }
    }

    private static func requireJSON(_ text: String, _ what: String, _ id: ID) throws(YDocError) {
        do { try JSONSyntax.check(text) } catch {
            throw .malformed("\(what) of \(id.client):\(id.clock) is not JSON (\(error))")
        }
    }
}
