/// A JSON-like value in lib0's self-describing encoding (`writeAny`/`readAny`),
/// the form Yjs uses for map values and array elements that are not shared types.
public enum Lib0Any: Sendable, Equatable {
    case undefined
    case null
    case bool(Bool)
    /// Every JavaScript number; integers are written compactly when they fit.
    case number(Double)
    case bigInt(Int64)
    case string(String)
    case bytes([UInt8])
    case array([Lib0Any])
    /// Keys in the order they were written (JavaScript preserves insertion order).
    case object([(key: String, value: Lib0Any)])

    public static func == (a: Lib0Any, b: Lib0Any) -> Bool {
        switch (a, b) {
        case (.undefined, .undefined), (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.number(x), .number(y)): return x == y || (x.isNaN && y.isNaN)
        case let (.bigInt(x), .bigInt(y)): return x == y
        // Strings and keys compare scalar for scalar, as in JavaScript: Swift's
        // `==` is canonical equivalence, and would call two replicas that
        // differ only by "é" as U+00E9 or as "e" + U+0301 equal.
        case let (.string(x), .string(y)): return x.utf8.elementsEqual(y.utf8)
        case let (.bytes(x), .bytes(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)):
            // Objects compare as maps: key order is presentation, not content.
            guard x.count == y.count else { return false }
            let sorted = { (o: [(key: String, value: Lib0Any)]) in o.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) } }
            return zip(sorted(x), sorted(y)).allSatisfy { $0.key.utf8.elementsEqual($1.key.utf8) && $0.value == $1.value }
        default: return false
        }
    }

    /// lib0's type tags.
    enum Tag: UInt8 {
        case undefined = 127, null = 126, integer = 125, float32 = 124, float64 = 123
        case bigInt = 122, `false` = 121, `true` = 120, string = 119, object = 118
        case array = 117, bytes = 116
    }
}

extension ByteWriter {
    /// lib0's `writeAny`: integers within 31 bits as a varint, numbers exact in
    /// float32 as float32, the rest as float64.
    public mutating func writeAny(_ value: Lib0Any) {
        switch value {
        case .undefined: writeUInt8(Lib0Any.Tag.undefined.rawValue)
        case .null: writeUInt8(Lib0Any.Tag.null.rawValue)
        case .bool(let b): writeUInt8(b ? Lib0Any.Tag.true.rawValue : Lib0Any.Tag.false.rawValue)
        case .number(let n):
            if n == 0 && n.sign == .minus {
                // lib0 writes -0 as an integer with the sign bit set (its
                // `writeVarInt` tests `isNegativeZero`), and reads it back as -0.
                writeUInt8(Lib0Any.Tag.integer.rawValue)
                writeUInt8(0x40)
            } else if n.rounded(.towardZero) == n && abs(n) <= 0x7FFF_FFFF {
                writeUInt8(Lib0Any.Tag.integer.rawValue)
                writeVarInt(Int64(n))
            } else if Double(Float(n)) == n || n.isNaN {
                writeUInt8(Lib0Any.Tag.float32.rawValue)
                writeFloat32(Float(n))
            } else {
                writeUInt8(Lib0Any.Tag.float64.rawValue)
                writeFloat64(n)
            }
        case .bigInt(let i):
            writeUInt8(Lib0Any.Tag.bigInt.rawValue)
            writeBigInt64(i)
        case .string(let s):
            writeUInt8(Lib0Any.Tag.string.rawValue)
            writeVarString(s)
        case .bytes(let b):
            writeUInt8(Lib0Any.Tag.bytes.rawValue)
            writeVarBytes(b)
        case .array(let items):
            writeUInt8(Lib0Any.Tag.array.rawValue)
            writeVarUInt(UInt64(items.count))
            for item in items { writeAny(item) }
        case .object(let members):
            writeUInt8(Lib0Any.Tag.object.rawValue)
            writeVarUInt(UInt64(members.count))
            for member in members {
                writeVarString(member.key)
                writeAny(member.value)
            }
        }
    }
}

extension ByteReader {
    /// How many elements a count read from the input may reserve room for
    /// before they are read. A count is a claim: `readLength` bounds it by
    /// the bytes left, but containers nested in one another may each claim
    /// all of them, and room reserved per level for that many values
    /// (24 bytes each) added up to gigabytes for a few megabytes of input.
    /// Past this, the array grows as its elements arrive.
    public static let trustedCount = 1024

    /// lib0's `readAny`. Nesting deeper than `maxDepth` is rejected so hostile
    /// input cannot exhaust the stack.
    public mutating func readAny(maxDepth: Int = 256) throws(ByteDecodingError) -> Lib0Any {
        let offset = position
        let raw = try readUInt8()
        guard let tag = Lib0Any.Tag(rawValue: raw) else {
            throw .unknownTag(offset: offset, tag: raw, what: "lib0 any")
        }
        switch tag {
        case .undefined: return .undefined
        case .null: return .null
        case .integer:
            // lib0 keeps the sign of -0 in the varint's sign bit.
            let negative = position < bytes.count && bytes[position] & 0x40 != 0
            let value = try readVarInt()
            return .number(value == 0 && negative ? -0.0 : Double(value))
        case .float32: return .number(Double(try readFloat32()))
        case .float64: return .number(try readFloat64())
        case .bigInt: return .bigInt(try readBigInt64())
        case .false: return .bool(false)
        case .true: return .bool(true)
        case .string: return .string(try readVarString())
        case .bytes: return .bytes(try readVarBytes())
        case .array:
            guard maxDepth > 0 else { throw .nestedTooDeeply(offset: offset) }
            let count = try readLength()  // each element takes at least one byte
            var items: [Lib0Any] = []
            items.reserveCapacity(Swift.min(count, Self.trustedCount))
            for _ in 0..<count { items.append(try readAny(maxDepth: maxDepth - 1)) }
            return .array(items)
        case .object:
            guard maxDepth > 0 else { throw .nestedTooDeeply(offset: offset) }
            let count = try readLength()
            var members: [(key: String, value: Lib0Any)] = []
            members.reserveCapacity(Swift.min(count, Self.trustedCount))
            for _ in 0..<count {
                let key = try readVarString()
                members.append((key, try readAny(maxDepth: maxDepth - 1)))
            }
            return .object(members)
        }
    }
}
