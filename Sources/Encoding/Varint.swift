/// lib0's varints, written down once: the readers `ByteReader` and
/// `BorrowedReader` use past their one-byte fast paths, and the writers
/// `ByteWriter` and `RawByteWriter` hand them each byte to store (always
/// inlined, so the closure costs nothing).
@usableFromInline
enum Varint {
    /// Unsigned LEB128: 7 bits a byte, least significant first, high bit = more.
    @inlinable @inline(__always)
    static func write(_ value: UInt64, _ put: (UInt8) -> Void) {
        var v = value
        while v > 0x7F {
            put(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        put(UInt8(v))
    }

    /// lib0's signed varint: the first byte holds a continuation bit, a sign
    /// bit and 6 bits of magnitude; the rest 7 bits each (sign-magnitude, not zigzag).
    @inlinable @inline(__always)
    static func write(_ value: Int64, _ put: (UInt8) -> Void) {
        var magnitude = value.magnitude
        put((magnitude > 0x3F ? 0x80 : 0) | (value < 0 ? 0x40 : 0) | UInt8(truncatingIfNeeded: magnitude & 0x3F))
        magnitude >>= 6
        while magnitude > 0 {
            put((magnitude > 0x7F ? 0x80 : 0) | UInt8(truncatingIfNeeded: magnitude & 0x7F))
            magnitude >>= 7
        }
    }

    /// An unsigned varint of at most 53 bits, lib0's limit (numbers are JS doubles there).
    @inlinable
    static func readUInt(_ bytes: UnsafeRawBufferPointer, at position: inout Int) throws(ByteDecodingError) -> UInt64 {
        let start = position
        var value: UInt64 = 0
        var shift: UInt64 = 0
        var index = position
        while true {
            guard index < bytes.count else { throw .unexpectedEnd(offset: index, needed: 1, available: 0) }
            let byte = bytes[index]
            index += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { break }
            shift += 7
            if shift > 49 { throw .integerOverflow(offset: start) }
        }
        if value > ByteReader.maxSafeInteger { throw .integerOverflow(offset: start) }
        position = index
        return value
    }

    /// lib0's signed varint (see `ByteWriter.writeVarInt`).
    @inlinable
    static func readInt(_ bytes: UnsafeRawBufferPointer, at position: inout Int) throws(ByteDecodingError) -> Int64 {
        let start = position
        var index = position
        func next() throws(ByteDecodingError) -> UInt8 {
            guard index < bytes.count else { throw .unexpectedEnd(offset: index, needed: 1, available: 0) }
            index += 1
            return bytes[index - 1]
        }
        let first = try next()
        var magnitude = UInt64(first & 0x3F)
        let negative = first & 0x40 != 0
        if first & 0x80 != 0 {
            var shift: UInt64 = 6
            while true {
                let byte = try next()
                magnitude |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { break }
                shift += 7
                if shift > 48 { throw .integerOverflow(offset: start) }
            }
        }
        if magnitude > ByteReader.maxSafeInteger { throw .integerOverflow(offset: start) }
        position = index
        return negative ? -Int64(magnitude) : Int64(magnitude)
    }
}
