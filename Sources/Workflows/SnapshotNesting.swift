import JSON

/// How deep a workflow's free-form values (`positions`, a trigger's
/// `kafka_configuration`) may nest: no deeper than both readers of a
/// snapshot take.
///
/// - A snapshot is read back with `JSONParser`, which refuses JSON nested
///   past `JSONParser.maxDepth` levels.
/// - A document made from a snapshot (an editor opening a workflow
///   published as JSON, the page's cron input choice) holds each
///   `positions` member and each `kafka_configuration` as one lib0 value,
///   which its updates carry and `Lib0Any`'s reader takes to 256 levels.
///
/// A workflow's document has no such bound (Y.Maps nest in Y.Maps, and a
/// lib0 value inside those), so a publish from a document could store a
/// snapshot no read would open again: its page, its runs' pages and its
/// webhook replies all failing (docs/documents.md, "Workflow documents":
/// values a snapshot must read back).
enum SnapshotNesting {
    /// `ByteReader.readAny`'s default depth, which a Yjs update's values are
    /// read with (the tests check the limits below against both readers).
    static let lib0ValueLevels = 256
    /// Above `positions` in a snapshot: the workflow's object; in a
    /// document, `positions` is a map whose members are lib0 values.
    static let positionsLimit = min(JSONParser.maxDepth - 1, 1 + lib0ValueLevels)
    /// Above a kafka configuration in a snapshot: the workflow, `triggers`,
    /// the trigger; in a document it is one lib0 value.
    static let kafkaConfigurationLimit = min(JSONParser.maxDepth - 3, lib0ValueLevels)

    /// The levels of objects and arrays in `value` (a scalar has none), or
    /// `limit + 1` as soon as it is known to pass `limit`: a wide value is
    /// walked once, a deep one no further than the limit.
    static func levels(_ value: JSONValue, limit: Int) -> Int {
        var deepest = 0
        // A stack of its own, so the whole walk ends where the limit is passed.
        var stack: [(value: JSONValue, level: Int)] = [(value, 0)]
        while let (value, level) = stack.popLast() {
            let children: [JSONValue]
            switch value {
            case .array(let items): children = items
            case .object(let members): children = members.map(\.value)
            default: continue
            }
            let here = level + 1
            if here > limit { return limit + 1 }
            deepest = max(deepest, here)
            for child in children { stack.append((child, here)) }
        }
        return deepest
    }
}
