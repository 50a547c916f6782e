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
