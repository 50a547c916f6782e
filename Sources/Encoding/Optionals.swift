/// Booleans and optional values as Cairn's own records write them (a
/// presence byte, then the value). Not part of lib0; shared by the event
/// codec and the projections so both read the same layout.
extension ByteWriter {
    public mutating func writeBool(_ b: Bool) { writeUInt8(b ? 1 : 0) }

    public mutating func writeOptional(_ s: String?) {
        if let s {
            writeUInt8(1)
            writeVarString(s)
        } else {
            writeUInt8(0)
        }
    }

    public mutating func writeOptional(_ i: Int64?) {
        if let i {
            writeUInt8(1)
            writeVarInt(i)
        } else {
            writeUInt8(0)
        }
    }
}

extension ByteReader {
    /// A byte that must be 0 or 1.
    public mutating func readBool() throws(ByteDecodingError) -> Bool {
        let offset = position
        switch try readUInt8() {
        case 0: return false
        case 1: return true
        case let other: throw .unknownTag(offset: offset, tag: other, what: "boolean")
        }
    }

    public mutating func readOptionalString() throws(ByteDecodingError) -> String? {
        try readBool() ? try readVarString() : nil
    }

    /// The full 64 bits `writeOptional` writes (`readVarInt64`).
    public mutating func readOptionalInt() throws(ByteDecodingError) -> Int64? {
        try readBool() ? try readVarInt64() : nil
    }
}
