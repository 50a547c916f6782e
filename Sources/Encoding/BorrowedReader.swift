/// `ByteReader` over borrowed memory (an LMDB value read in place): strings
/// come back as `ByteSlice`s of that memory, checked to be UTF-8, so reading
/// an event allocates nothing. Every read is bounds-checked and throws a
/// `ByteDecodingError` naming the offset; no input can make it trap.
///
/// It reads Cairn's own records only (events, projection records), never
/// Yjs updates: its varints are the full 64 bits the writers write, not
/// lib0's 53 (see `Varint`).
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

    /// An unsigned varint of up to 64 bits.
    @inlinable @inline(__always)
    public mutating func readVarUInt() throws(ByteDecodingError) -> UInt64 {
        if offset < bytes.count, bytes[offset] < 0x80 {
            offset += 1
            return UInt64(bytes[offset - 1])
        }
        return try Varint.readUInt64(bytes, at: &offset)
    }

    /// A signed varint of any `Int64`.
    @inlinable @inline(__always)
    public mutating func readVarInt() throws(ByteDecodingError) -> Int64 {
        try Varint.readInt64(bytes, at: &offset)
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
        // Ids: a one-byte length, then ASCII. Checked straight through,
        // with no call and no error path in the way; the rest is below.
        if offset < bytes.count, let base = bytes.baseAddress {
            let length = Int(base.load(fromByteOffset: offset, as: UInt8.self))
            if length < 0x80 && length < bytes.count - offset {
                let slice = UnsafeRawBufferPointer(start: base + offset + 1, count: length)
                if ByteReader.isASCII(slice) {
                    offset += 1 + length
                    return ByteSlice(slice)
                }
            }
        }
        return try readAnySlice()
    }

    /// `readSlice` for what its fast path leaves: long or non-ASCII
    /// strings, and every error.
    @inlinable
    mutating func readAnySlice() throws(ByteDecodingError) -> ByteSlice {
        let start = offset
        let utf8 = try readBytes(try readLength())
        guard ByteReader.isUTF8(utf8) else { throw .invalidUTF8(offset: start) }
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
