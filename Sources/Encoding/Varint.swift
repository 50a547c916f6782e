/// lib0's varints, written down once: the readers `ByteReader` and
/// `BorrowedReader` use past their one-byte fast paths, and the writers
/// `ByteWriter` and `RawByteWriter` hand them each byte to store (always
/// inlined, so the closure costs nothing).
///
/// Two families of readers, because the varints serve two formats:
/// - lib0's (`readUInt`, `readInt`): at most 2^53-1 in magnitude, lib0's
///   limit (numbers are JavaScript doubles there). Yjs updates and
///   `readAny` read these; YDoc's clock arithmetic relies on the bound.
/// - Cairn's own records (`readUInt64`, `readInt64`): every value the
///   writers write, the full 64 bits. Events, dataclip headers and
///   projection records read these (docs/events.md): a record the writer
///   accepted must always read back (issue #17: one event with a 2^60
///   timestamp made every later read of its log fail).
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

    // MARK: Cairn's records: the full 64 bits

    /// An unsigned varint of up to 64 bits (ten bytes; the tenth holds bit
    /// 63 alone). Anything longer or wider is refused: the writer never
    /// writes it.
    @inlinable @inline(__always)
    static func readUInt64(_ bytes: UnsafeRawBufferPointer, at position: inout Int) throws(ByteDecodingError) -> UInt64 {
        // Up to eight bytes (56 bits) always fit: no range check.
        if let (groups, count) = leadingVarint(bytes, at: position) {
            position += count
            return pack(groups)
        }
        return try readUInt64Bytewise(bytes, at: &position)
    }

    /// `readUInt64` a byte at a time: near the end of the bytes, for
    /// varints longer than eight bytes, and the reference the word path is
    /// tested against.
    @inlinable
    static func readUInt64Bytewise(_ bytes: UnsafeRawBufferPointer, at position: inout Int) throws(ByteDecodingError) -> UInt64 {
        let start = position
        var value: UInt64 = 0
        var shift: UInt64 = 0
        var index = position
        while true {
            guard index < bytes.count else { throw .unexpectedEnd(offset: index, needed: 1, available: 0) }
            let byte = bytes[index]
            index += 1
            // The tenth byte holds bit 63 only, and ends the varint.
            if shift == 63 && byte > 1 { throw .integerTooWide(offset: start) }
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { break }
            shift += 7
        }
        position = index
        return value
    }

    /// A signed varint (lib0's layout) of any `Int64`, `Int64.min` included.
    @inlinable @inline(__always)
    static func readInt64(_ bytes: UnsafeRawBufferPointer, at position: inout Int) throws(ByteDecodingError) -> Int64 {
        // Up to eight bytes: 6 + 7 * 7 = 55 bits of magnitude, always fit.
        if let (groups, count) = leadingVarint(bytes, at: position) {
            let magnitude = (groups & 0x3F) | pack(groups >> 8) << 6
            position += count
            return groups & 0x40 != 0 ? -Int64(magnitude) : Int64(magnitude)
        }
        return try readInt64Bytewise(bytes, at: &position)
    }

    /// `readInt64` a byte at a time (see `readUInt64Bytewise`).
    @inlinable
    static func readInt64Bytewise(_ bytes: UnsafeRawBufferPointer, at position: inout Int) throws(ByteDecodingError) -> Int64 {
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
                // The tenth byte holds bits 62 and 63 only, and ends the varint.
                if shift == 62 && byte > 3 { throw .integerTooWide(offset: start) }
                magnitude |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { break }
                shift += 7
            }
        }
        // Int64's range: magnitudes up to 2^63 - 1, and 2^63 when negative.
        if magnitude > UInt64(Int64.max) + (negative ? 1 : 0) { throw .integerTooWide(offset: start) }
        position = index
        return negative ? Int64(bitPattern: 0 &- magnitude) : Int64(magnitude)
    }
}
