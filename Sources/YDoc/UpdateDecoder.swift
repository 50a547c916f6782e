import Encoding

/// Reads a Yjs update (encoding v1, lib0): the structs of each client, then a
/// delete set. Everything is read and checked before anything is applied, so
/// a malformed update leaves the document untouched.
struct DecodedUpdate {
    /// Structs per client in clock order (GCs and items; skips dropped), one
    /// entry per client, in the order the update lists them.
    var structs: [(client: UInt64, structs: [AbstractStruct])]
    var deletes: DeleteSet
    /// Whether any item holds a nested type (only those can nest deeper).
    var holdsTypes = false
}

enum UpdateDecoder {
    /// - Parameter known: the receiving document's state per client. Structs
    ///   wholly below it are already held: they are read and checked but not
    ///   built (merging a peer's full state mostly repeats what we have).
    /// - Parameter clientLimit: the most clients the update may name
    ///   (`nil`: any number, for updates stored before the limit).
    /// - Parameter requiresJSON: whether content Yjs reads as JSON must be
    ///   JSON (`requireJSON`); `false` for updates stored before the check.
    static func decode(
        _ bytes: [UInt8], known: (UInt64) -> UInt64 = { _ in 0 }, clientLimit: Int? = Doc.maxClients,
        requiresJSON: Bool = true
    ) throws(YDocError) -> DecodedUpdate {
        var r = ByteReader(bytes)
        let text = TextBuffer()
        do {
            var structs: [(client: UInt64, structs: [AbstractStruct])] = []
            // Where each client's entry is, past a few: searching the list
            // for each client made an update naming many clients quadratic.
            var entryOf: [UInt64: Int] = [:]
            var holdsTypes = false
            let clients = try r.readLength()
            // Refused before any per-client work (docs/documents.md).
            if let clientLimit, clients > clientLimit { throw YDocError.tooManyClients(count: clients, limit: clientLimit) }
            for _ in 0..<clients {
                let count = try r.readLength()
                let client = try r.readVarUInt()
                var clock = try r.readVarUInt()
                let held = known(client)
                var list: [AbstractStruct] = []
                list.reserveCapacity(min(count, 1 << 16))
                for _ in 0..<count {
                    let infoOffset = r.position
                    let info = try r.readUInt8()
                    let ref = info & 0b1_1111
                    switch ref {
                    case 0:  // GC
                        let length = try readLength(&r, client, clock)
                        list.append(GCStruct(id: ID(client: client, clock: clock), length: length))
                        clock += UInt64(length)
                    case 10:  // Skip: a gap in a merged update
                        let length = try readLength(&r, client, clock)
                        clock += UInt64(length)
                    default:
                        let hasOrigin = info & 0x80 != 0
                        let hasRightOrigin = info & 0x40 != 0
                        let origin = hasOrigin ? ID(client: try r.readVarUInt(), clock: try r.readVarUInt()) : nil
                        let rightOrigin = hasRightOrigin ? ID(client: try r.readVarUInt(), clock: try r.readVarUInt()) : nil
                        var pendingRoot: String?
                        var pendingParentItem: ID?
                        var parentSub: String?
                        if !hasOrigin && !hasRightOrigin {
                            if try r.readVarUInt() == 1 {
                                pendingRoot = try r.readVarString()
                            } else {
                                pendingParentItem = ID(client: try r.readVarUInt(), clock: try r.readVarUInt())
                            }
                            if info & 0x20 != 0 { parentSub = try r.readVarString() }
                        }
                        // A held struct is skipped unless it names something
                        // missing: then it stops its lane as in Yjs (`Doc.offer`).
                        if clock < held,
                            Transaction.missingClient(of: client, naming: origin, rightOrigin, pendingParentItem, state: known) == nil
                        {
                            // Measure the content first; a struct that is partly new
                            // is then read in full from where its content starts.
                            let contentStart = r.position
                            if let length = try skipContent(&r, ref: ref, offset: infoOffset), length > 0,
                                clock + UInt64(length) <= held
                            {
                                clock += UInt64(length)
                                continue
                            }
                            r.rewind(to: contentStart)
                        }
                        let content = try readContent(&r, ref: ref, offset: infoOffset, text: text)
                        guard content.length > 0 else { throw YDocError.malformed("empty content at byte \(infoOffset)") }
                        if requiresJSON { try requireJSON(content, of: ID(client: client, clock: clock)) }
                        if ref == Content.refType { holdsTypes = true }
                        let item = Item(
                            id: ID(client: client, clock: clock), left: nil, origin: origin, right: nil,
                            rightOrigin: rightOrigin, parent: nil, parentSub: parentSub, content: content)
                        if !hasOrigin && !hasRightOrigin {
                            item.pendingRoot = pendingRoot
                            item.pendingParentItem = pendingParentItem
                            item.awaitsParent = true
                        }
                        list.append(item)
                        guard clock <= ByteReader.maxSafeInteger - UInt64(content.length) else {
                            throw YDocError.impossibleClock(client: client, clock: clock)
                        }
                        clock += UInt64(content.length)
                    }
                }
                let index: Int?
                if structs.count <= Transaction.fewClients {
                    index = structs.firstIndex { $0.client == client }
                } else {
                    if entryOf.isEmpty { for (i, entry) in structs.enumerated() { entryOf[entry.client] = i } }
                    index = entryOf[client]
                }
                if let index {
                    // A client listed twice: the later list replaces the earlier, as
                    // in Yjs (`readClientsStructRefs` sets the client's refs again).
                    // Joined, two lists claiming one clock made the order the
                    // lane sorted them in decide which integrated, and applying
                    // the update twice could differ from once (docs/reliability.md, finding 15).
                    structs[index].structs = list
                } else if !list.isEmpty {
                    if !entryOf.isEmpty { entryOf[client] = structs.count }
                    structs.append((client, list))
                }
            }
            let deletes = try DeleteSet.read(&r, clientLimit: clientLimit)
            return DecodedUpdate(structs: structs, deletes: deletes, holdsTypes: holdsTypes)
        } catch let error as YDocError {
            throw error
        } catch let error as ByteDecodingError {
            throw .truncated(error)
        } catch {
            throw .malformed("\(error)")
        }
    }

    /// Reads past a content without building it and returns its length, or
    /// nil for kinds measured only by reading them in full. Checks what
    /// `readContent` checks (bounds, UTF-8).
    private static func skipContent(_ r: inout ByteReader, ref: UInt8, offset: Int) throws -> Int? {
        switch ref {
        case Content.refDeleted:
            let length = try r.readVarUInt()
            guard length <= ByteReader.maxSafeInteger else { throw YDocError.malformed("deleted length") }
            return Int(length)
        case Content.refString:
            return try r.skipVarStringUTF16()
        default:
            return nil
        }
    }

    private static func readLength(_ r: inout ByteReader, _ client: UInt64, _ clock: UInt64) throws -> Int {
        let length = try r.readVarUInt()
        guard length > 0, clock <= ByteReader.maxSafeInteger - length else {
            throw YDocError.impossibleClock(client: client, clock: clock)
        }
        return Int(length)
    }

    /// - Parameter text: where text content goes (shared by the update's
    ///   text items: one allocation, not one per item).
    static func readContent(_ r: inout ByteReader, ref: UInt8, offset: Int, text: TextBuffer) throws -> Content {
        switch ref {
        case Content.refDeleted:
            let length = try r.readVarUInt()
            guard length <= ByteReader.maxSafeInteger else { throw YDocError.malformed("deleted length") }
            return .deleted(Int(length))
        case Content.refJSON:
            let count = try r.readLength()
            var values: [String] = []
            for _ in 0..<count { values.append(try r.readVarString()) }
            return .json(values)
        case Content.refBinary:
            return .binary(try r.readVarBytes())
        case Content.refString:
            let start = text.units.count
            let count = try r.readVarStringUTF16(appendingTo: &text.units)
            return .string(TextUnits(buffer: text, start: start, count: count))
        case Content.refEmbed:
            return .embed(try r.readVarString())
        case Content.refFormat:
            return .format(key: try r.readVarString(), value: try r.readVarString())
        case Content.refType:
            let typeRef = try r.readVarUInt()
            let kind: YType.Kind
            switch typeRef {
            case 0: kind = .array
            case 1: kind = .map
            case 2: kind = .text
            case 3: kind = .xmlElement(try r.readVarString())
            case 4: kind = .xmlFragment
            case 5: kind = .xmlHook(try r.readVarString())
            case 6: kind = .xmlText
            default: throw YDocError.malformed("unknown type ref \(typeRef) at byte \(offset)")
            }
            return .type(YType(kind: kind))
        case Content.refAny:
            let count = try r.readLength()
            var values: [Lib0Any] = []
            values.reserveCapacity(Swift.min(count, ByteReader.trustedCount))  // a claim, not a size (see readAny)
            for _ in 0..<count { values.append(try r.readAny()) }
            return .any(values)
        case Content.refDoc:
            return .doc(guid: try r.readVarString(), options: try r.readAny())
        default:
            throw YDocError.unsupportedContent(ref: ref, offset: offset)
        }
    }
}
