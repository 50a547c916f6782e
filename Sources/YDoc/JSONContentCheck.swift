import JSON

extension Doc {
    /// Refuses an update whose embed, format value or JSON content is not
    /// JSON text, as Yjs does: its decoder reads them with `JSON.parse`
    /// (`"undefined"` aside, in JSON content) and throws on the whole
    /// update. Accepted here, such an update was stored and relayed, and
    /// every Yjs editor then threw on it, the document's state included: no
    /// Yjs client could open the document again (found in session 16
    /// comparing a fuzz finding with Yjs 13.6).
    ///
    /// New input only (`checkUpdate`, `applyUpdate`): a stored document is
    /// loaded as it was accepted, so a folder written before this check
    /// still opens.
    func checkJSONContent(_ decoded: DecodedUpdate) throws(YDocError) {
        for (_, structs) in decoded.structs {
            for s in structs {
                guard let item = s.asItem else { continue }
                switch item.content {
                case .embed(let text):
                    try Self.requireJSON(text, "embed", item)
                case .format(_, let value):
                    try Self.requireJSON(value, "format value", item)
                case .json(let values):
                    for value in values where value != "undefined" { try Self.requireJSON(value, "JSON content", item) }
                default:
                    continue
                }
            }
        }
    }

    private static func requireJSON(_ text: String, _ what: String, _ item: Item) throws(YDocError) {
        do { _ = try JSONParser.parse(text) } catch {
            throw .malformed("\(what) of \(item.id.client):\(item.id.clock) is not JSON (\(error))")
        }
    }
}
