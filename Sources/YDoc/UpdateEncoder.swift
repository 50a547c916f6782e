import Encoding

/// Writes Yjs updates (encoding v1) and state vectors, byte for byte as Yjs
/// does: clients in decreasing id order, then the delete set.
enum UpdateEncoder {
    static func writeStructs(_ store: StructStore, from stateVector: [UInt64: UInt64], into w: inout ByteWriter) {
        var targets: [(client: UInt64, clock: UInt64)] = []
        for (client, list) in store.clients {
            let have = store.state(client)
            let from = stateVector[client] ?? 0
            if have > from, !list.structs.isEmpty { targets.append((client, from)) }
        }
        targets.sort { $0.client > $1.client }
        w.writeVarUInt(UInt64(targets.count))
        for (client, from) in targets {
            let structs = store.clients[client]!.structs
            let clock = max(from, structs[0].id.clock)
            guard let start = structs.search(clock) else { continue }
            w.writeVarUInt(UInt64(structs.count - start))
            w.writeVarUInt(client)
            w.writeVarUInt(clock)
            write(structs[start], offset: Int(clock - structs[start].id.clock), into: &w)
            for s in structs[(start + 1)...] { write(s, offset: 0, into: &w) }
        }
    }

    /// One struct to write, from `offset` on, or a gap in a client's clocks.
    private enum Piece {
        case structure(AbstractStruct, offset: Int)
        case skip(UInt64)
    }

    /// The structs of `store` and, after each client's, the structs waiting
    /// in `pending` (clock order per client) that a peer with `stateVector`
    /// lacks. A gap between them (what they wait for) is written as a Skip
    /// (info ref 10), as Yjs's `mergeUpdates` does, which a reader steps
    /// over: the pending structs wait again in whoever applies the result.
    static func writeStructs(
        _ store: StructStore, pending: [UInt64: [AbstractStruct]], from stateVector: [UInt64: UInt64],
        into w: inout ByteWriter
    ) {
        guard !pending.isEmpty else { return writeStructs(store, from: stateVector, into: &w) }
        var targets: [(client: UInt64, clock: UInt64, pieces: [Piece])] = []
        var clients = Array(store.clients.keys)
        for client in pending.keys where store.clients[client] == nil { clients.append(client) }
        for client in clients {
            let have = store.state(client)
            let from = stateVector[client] ?? 0
            var pieces: [Piece] = []
            var first: UInt64?
            var cursor = from  // the clock written up to
            if have > from, let structs = store.clients[client]?.structs, !structs.isEmpty {
                let clock = max(from, structs[0].id.clock)
                if let start = structs.search(clock) {
                    first = clock
                    pieces.append(.structure(structs[start], offset: Int(clock - structs[start].id.clock)))
                    for s in structs[(start + 1)...] { pieces.append(.structure(s, offset: 0)) }
                    cursor = have
                }
            }
            // Pending structs may repeat or overlap (the same update applied
            // twice while it waits) or lie below what the store holds now.
            for s in pending[client] ?? [] {
                let end = s.id.clock + UInt64(s.length)
                guard end > cursor else { continue }
                if first == nil {
                    first = max(cursor, s.id.clock)
                } else if s.id.clock > cursor {
                    pieces.append(.skip(s.id.clock - cursor))
                    cursor = s.id.clock
                }
                pieces.append(.structure(s, offset: Int(max(cursor, s.id.clock) - s.id.clock)))
                cursor = end
            }
            if let first { targets.append((client, first, pieces)) }
        }
        targets.sort { $0.client > $1.client }
        w.writeVarUInt(UInt64(targets.count))
        for (client, clock, pieces) in targets {
            w.writeVarUInt(UInt64(pieces.count))
            w.writeVarUInt(client)
            w.writeVarUInt(clock)
            for piece in pieces {
                switch piece {
                case .structure(let s, let offset): write(s, offset: offset, into: &w)
                case .skip(let length):
                    w.writeUInt8(10)
                    w.writeVarUInt(length)
                }
            }
        }
    }

    static func write(_ s: AbstractStruct, offset: Int, into w: inout ByteWriter) {
        guard let item = s.asItem else {
            w.writeUInt8(0)
            w.writeVarUInt(UInt64(s.length - offset))
            return
        }
        let origin = offset > 0 ? ID(client: item.id.client, clock: item.id.clock + UInt64(offset) - 1) : item.origin
        var info = item.content.ref & 0b1_1111
        if origin != nil { info |= 0x80 }
        if item.rightOrigin != nil { info |= 0x40 }
        if item.parentSub != nil { info |= 0x20 }
        w.writeUInt8(info)
        if let origin {
            w.writeVarUInt(origin.client)
            w.writeVarUInt(origin.clock)
        }
        if let right = item.rightOrigin {
            w.writeVarUInt(right.client)
            w.writeVarUInt(right.clock)
        }
        if origin == nil && item.rightOrigin == nil {
            if let parent = item.parent {
                if let parentItem = parent.item {
                    w.writeVarUInt(0)
                    w.writeVarUInt(parentItem.id.client)
                    w.writeVarUInt(parentItem.id.clock)
                } else {
                    w.writeVarUInt(1)
                    w.writeVarString(parent.rootName ?? "")
                }
            } else if let name = item.pendingRoot {
                w.writeVarUInt(1)
                w.writeVarString(name)
            } else if let id = item.pendingParentItem {
                w.writeVarUInt(0)
                w.writeVarUInt(id.client)
                w.writeVarUInt(id.clock)
            }
            if let sub = item.parentSub { w.writeVarString(sub) }
        }
        writeContent(item.content, offset: offset, into: &w)
    }

    static func writeContent(_ content: Content, offset: Int, into w: inout ByteWriter) {
        switch content {
        case .deleted(let length):
            w.writeVarUInt(UInt64(length - offset))
        case .json(let values):
            w.writeVarUInt(UInt64(values.count - offset))
            for v in values[offset...] { w.writeVarString(v) }
        case .binary(let bytes):
            w.writeVarBytes(bytes)
        case .string(let units):
            w.writeVarString(String(decoding: units.units(from: offset), as: UTF16.self))
        case .embed(let json):
            w.writeVarString(json)
        case .format(let key, let value):
            w.writeVarString(key)
            w.writeVarString(value)
        case .type(let type):
            w.writeVarUInt(type.kind.ref)
            switch type.kind {
            case .xmlElement(let name), .xmlHook(let name): w.writeVarString(name)
            default: break
            }
        case .any(let values):
            w.writeVarUInt(UInt64(values.count - offset))
            for v in values[offset...] { w.writeAny(v) }
        case .doc(let guid, let options):
            w.writeVarString(guid)
            w.writeAny(options)
        }
    }

    static func writeStateVector(_ sv: [UInt64: UInt64], into w: inout ByteWriter) {
        w.writeVarUInt(UInt64(sv.count))
        for (client, clock) in sv.sorted(by: { $0.key > $1.key }) {
            w.writeVarUInt(client)
            w.writeVarUInt(clock)
        }
    }

    static func readStateVector(_ bytes: [UInt8]) throws(YDocError) -> [UInt64: UInt64] {
        var r = ByteReader(bytes)
        do {
            var sv: [UInt64: UInt64] = [:]
            let count = try r.readLength()
            for _ in 0..<count { sv[try r.readVarUInt()] = try r.readVarUInt() }
            return sv
        } catch {
            throw .truncated(error)
        }
    }
}
