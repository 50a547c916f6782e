/// `ByteReader` over borrowed memory (an LMDB value read in place): strings
/// come back as `ByteSlice`s of that memory, checked to be UTF-8, so reading
/// an event allocates nothing. Every read is bounds-checked and throws a
/// `ByteDecodingError` naming the offset; no input can make it trap.
///
/// Inlinable: a replay reads a dozen fields an event, and a call per field
/// across modules cost more than the reading.
@frozen
public struct BorrowedReader {
    public let bytes: UnsafeRawBufferPointer
    @usableFromInline var offset = 0

    @inlinable
    public init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// The offset of the next byte to read.
    @inlinable public var position: Int { offset }
    @inlinable public var isAtEnd: Bool { offset >= bytes.count }

    @inlinable @inline(__always)
    func need(_ count: Int) throws(ByteDecodingError) {
        if count < 0 || count > bytes.count - offset {
            throw .unexpectedEnd(offset: offset, needed: count, available: bytes.count - offset)
        }
    }

    @inlinable @inline(__always)
    public mutating func readUInt8() throws(ByteDecodingError) -> UInt8 {
        try need(1)
        defer { offset += 1 }
        return bytes[offset]
    }

    @inlinable @inline(__always)
    public mutating func readBytes(_ count: Int) throws(ByteDecodingError) -> UnsafeRawBufferPointer {
        try need(count)
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count])
    }

    @inlinable @inline(__always)
    public mutating func readVarUInt() throws(ByteDecodingError) -> UInt64 {
        if offset < bytes.count, bytes[offset] < 0x80 {
            offset += 1
            return UInt64(bytes[offset - 1])
        }
        return try Varint.readUInt(bytes, at: &offset)
    }

    @inlinable @inline(__always)
    public mutating func readVarInt() throws(ByteDecodingError) -> Int64 {
        try Varint.readInt(bytes, at: &offset)
    }

    /// A varuint length, checked against what is left.
    @inlinable @inline(__always)
    public mutating func readLength() throws(ByteDecodingError) -> Int {
        let start = offset
        let length = try readVarUInt()
        if length > UInt64(bytes.count - offset) {
            throw .lengthTooLarge(offset: start, length: length, available: bytes.count - offset)
        }
        return Int(length)
    }

    /// A string, in place.
    @inlinable @inline(__always)
    public mutating func readSlice() throws(ByteDecodingError) -> ByteSlice {
        let start = offset
        let utf8 = try readBytes(try readLength())
        guard Varint.isUTF8(utf8) else { throw .invalidUTF8(offset: start) }
        return ByteSlice(utf8)
    }

    public mutating func readVarString(interning interner: StringInterner? = nil) throws(ByteDecodingError) -> String {
        let start = offset
        let raw = try readBytes(try readLength())
        let utf8 = raw.assumingMemoryBound(to: UInt8.self)
        let string: String? = if let interner { interner.string(utf8) } else { StringInterner.make(utf8) }
        guard let string else { throw .invalidUTF8(offset: start) }
        return string
    }

    @inlinable @inline(__always)
    public mutating func skipVarString() throws(ByteDecodingError) { _ = try readBytes(try readLength()) }

    @inlinable @inline(__always)
    public mutating func readVarBytes() throws(ByteDecodingError) -> [UInt8] { Array(try readBytes(try readLength())) }

    /// A byte that must be 0 or 1.
    @inlinable @inline(__always)
    public mutating func readBool() throws(ByteDecodingError) -> Bool {
        let offset = offset
        switch try readUInt8() {
        case 0: return false
        case 1: return true
        case let other: throw .unknownTag(offset: offset, tag: other, what: "boolean")
        }
    }

    @inlinable @inline(__always)
    public mutating func readOptionalSlice() throws(ByteDecodingError) -> ByteSlice? {
        try readBool() ? try readSlice() : nil
    }

    @inlinable @inline(__always)
    public mutating func readOptionalInt() throws(ByteDecodingError) -> Int64? {
        try readBool() ? try readVarInt() : nil
    }
}

/// lib0's varints over raw memory: the one reader both `ByteReader` and
/// `BorrowedReader` use past their one-byte fast paths.
@usableFromInline
enum Varint {
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

    /// ASCII (ids, names) needs no validation pass; anything else gets one.
    @inlinable @inline(__always)
    static func isUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let utf8 = bytes.assumingMemoryBound(to: UInt8.self)
        return ByteReader.isASCII(utf8) || String(validating: utf8, as: UTF8.self) != nil
    }
}
