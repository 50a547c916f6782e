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

    /// The bytes of the varint that starts the little-endian `word`, with
    /// their high bits cleared, or nil when it runs past eight bytes.
    /// (Reads whole words: a replay reads two timestamps an event, eight
    /// bytes each, and a byte at a time was a fifth of reading an event.)
    @inlinable @inline(__always)
    static func leadingVarint(_ word: UInt64) -> (payload: UInt64, count: Int)? {
        let ends = ~word & 0x8080_8080_8080_8080
        if ends == 0 { return nil }
        let count = (ends.trailingZeroBitCount + 1) >> 3
        let mask: UInt64 = count == 8 ? ~0 : (1 << UInt64(count << 3)) &- 1
        return (word & mask & 0x7F7F_7F7F_7F7F_7F7F, count)
    }

    /// `leadingVarint` of the eight bytes at `position`, when there are
    /// eight; `nil` sends the caller to its byte-at-a-time path.
    @inlinable @inline(__always)
    static func leadingVarint(_ bytes: UnsafeRawBufferPointer, at position: Int) -> (payload: UInt64, count: Int)? {
        guard position <= bytes.count &- 8, let base = bytes.baseAddress else { return nil }
        return leadingVarint(UInt64(littleEndian: base.loadUnaligned(fromByteOffset: position, as: UInt64.self)))
    }

    /// Packs the 7-bit groups of up to eight bytes (least significant
    /// first, high bits clear) into one number.
    @inlinable @inline(__always)
    static func pack(_ groups: UInt64) -> UInt64 {
        var x = groups
        x = (x & 0x007F_007F_007F_007F) | ((x & 0x7F00_7F00_7F00_7F00) >> 1)
        x = (x & 0x0000_3FFF_0000_3FFF) | ((x & 0x3FFF_0000_3FFF_0000) >> 2)
        x = (x & 0x0000_0000_0FFF_FFFF) | ((x & 0x0FFF_FFFF_0000_0000) >> 4)
        return x
    }

    /// An unsigned varint of at most 53 bits, lib0's limit (numbers are JS doubles there).
    @inlinable @inline(__always)
    static func readUInt(_ bytes: UnsafeRawBufferPointer, at position: inout Int) throws(ByteDecodingError) -> UInt64 {
        if let (groups, count) = leadingVarint(bytes, at: position) {
            let value = pack(groups)
            if value > ByteReader.maxSafeInteger { throw .integerOverflow(offset: position) }
            position += count
            return value
        }
        return try readUIntBytewise(bytes, at: &position)
    }

    /// `readUInt` a byte at a time: near the end of the bytes, and the
    /// reference the word-at-a-time path is tested against.
    @inlinable
    static func readUIntBytewise(_ bytes: UnsafeRawBufferPointer, at position: inout Int) throws(ByteDecodingError) -> UInt64 {
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
    @inlinable @inline(__always)
    static func readInt(_ bytes: UnsafeRawBufferPointer, at position: inout Int) throws(ByteDecodingError) -> Int64 {
        if let (groups, count) = leadingVarint(bytes, at: position) {
            // The first byte: 6 bits of magnitude under the sign bit.
            let magnitude = (groups & 0x3F) | pack(groups >> 8) << 6
            if magnitude > ByteReader.maxSafeInteger { throw .integerOverflow(offset: position) }
            position += count
            return groups & 0x40 != 0 ? -Int64(magnitude) : Int64(magnitude)
        }
        return try readIntBytewise(bytes, at: &position)
    }

    /// `readInt` a byte at a time (see `readUIntBytewise`).
    @inlinable
    static func readIntBytewise(_ bytes: UnsafeRawBufferPointer, at position: inout Int) throws(ByteDecodingError) -> Int64 {
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
