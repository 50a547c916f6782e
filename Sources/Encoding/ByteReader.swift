/// Reads what `ByteWriter` writes. Every read is bounds-checked and throws a
/// `ByteDecodingError` naming the offset on truncated or malformed input; no
/// input can make it trap.
public struct ByteReader: Sendable {
    public let bytes: [UInt8]
    /// The offset of the next byte to read.
    public private(set) var position: Int

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
        self.position = 0
    }

    public var remaining: Int { bytes.count - position }
    public var isAtEnd: Bool { position >= bytes.count }

    @inline(__always)
    private func need(_ count: Int) throws(ByteDecodingError) {
        if count < 0 || count > bytes.count - position {
            throw .unexpectedEnd(offset: position, needed: count, available: bytes.count - position)
        }
    }

    public mutating func readUInt8() throws(ByteDecodingError) -> UInt8 {
        try need(1)
        defer { position += 1 }
        return bytes[position]
    }

    /// `count` raw bytes.
    public mutating func readBytes(_ count: Int) throws(ByteDecodingError) -> ArraySlice<UInt8> {
        try need(count)
        defer { position += count }
        return bytes[position..<position + count]
    }

    /// An unsigned varint of at most 53 bits, lib0's limit (numbers are JS
    /// doubles there): for Yjs updates. Cairn's own records use
    /// `readVarUInt64` (see `Varint`).
    public mutating func readVarUInt() throws(ByteDecodingError) -> UInt64 {
        // Most varints are one byte (lengths, tags, small clocks): no loop.
        if position < bytes.count, bytes[position] < 0x80 {
            position += 1
            return UInt64(bytes[position - 1])
        }
        var index = position
        let value = try bytes.withUnsafeBufferPointer { (all) throws(ByteDecodingError) in
            try Varint.readUInt(UnsafeRawBufferPointer(all), at: &index)
        }
        position = index
        return value
    }

    /// lib0's signed varint (see `ByteWriter.writeVarInt`), at most 2^53-1
    /// in magnitude, as lib0 reads it: for Yjs updates and `readAny`.
    /// Cairn's own records use `readVarInt64`.
    public mutating func readVarInt() throws(ByteDecodingError) -> Int64 {
        var index = position
        let value = try bytes.withUnsafeBufferPointer { (all) throws(ByteDecodingError) in
            try Varint.readInt(UnsafeRawBufferPointer(all), at: &index)
        }
        position = index
        return value
    }

    /// An unsigned varint of up to 64 bits, everything `writeVarUInt`
    /// writes: for Cairn's own records.
    public mutating func readVarUInt64() throws(ByteDecodingError) -> UInt64 {
        var index = position
        let value = try bytes.withUnsafeBufferPointer { (all) throws(ByteDecodingError) in
            try Varint.readUInt64(UnsafeRawBufferPointer(all), at: &index)
        }
        position = index
        return value
    }

    /// A signed varint of any `Int64`, everything `writeVarInt` writes: for
    /// Cairn's own records (timestamps, sizes).
    public mutating func readVarInt64() throws(ByteDecodingError) -> Int64 {
        var index = position
        let value = try bytes.withUnsafeBufferPointer { (all) throws(ByteDecodingError) in
            try Varint.readInt64(UnsafeRawBufferPointer(all), at: &index)
        }
        position = index
        return value
    }

    /// A varuint length, checked against what is left so a hostile length
    /// cannot make the caller allocate.
    public mutating func readLength() throws(ByteDecodingError) -> Int {
        let start = position
        let length = try readVarUInt()
        if length > UInt64(remaining) {
            throw .lengthTooLarge(offset: start, length: length, available: remaining)
        }
        return Int(length)
    }

    /// Reads a string's length prefix and steps over its bytes, returning
    /// where they are and whether they are all ASCII (then a byte is a
    /// character and a UTF-16 unit, and no validation is needed).
    private mutating func readStringBytes() throws(ByteDecodingError) -> (start: Int, bytes: Range<Int>, ascii: Bool) {
        let (start, range) = try readStringRange()
        let ascii = bytes.withUnsafeBufferPointer { Self.isASCII(UnsafeBufferPointer(rebasing: $0[range])) }
        return (start, range, ascii)
    }

    public mutating func readVarString() throws(ByteDecodingError) -> String {
        let (start, range, ascii) = try readStringBytes()
        // Ids and names are ASCII: decoding them needs no validation pass,
        // which is most of the cost of a short string.
        let string: String? = bytes.withUnsafeBufferPointer { all in
            let utf8 = UnsafeBufferPointer(rebasing: all[range])
            return ascii ? String(decoding: utf8, as: UTF8.self) : String(validating: utf8, as: UTF8.self)
        }
        guard let string else { throw .invalidUTF8(offset: start) }
        return string
    }

    /// `readVarString`, taking repeated strings from `interner` (see
    /// `StringInterner`) instead of building each one again.
    public mutating func readVarString(interning interner: StringInterner) throws(ByteDecodingError) -> String {
        // No ASCII scan first: a string the interner holds is valid already,
        // and it validates the ones it builds.
        let (start, range) = try readStringRange()
        let string: String? = bytes.withUnsafeBufferPointer { all in interner.string(UnsafeBufferPointer(rebasing: all[range])) }
        guard let string else { throw .invalidUTF8(offset: start) }
        return string
    }

    /// Reads a string's length prefix and steps over its bytes.
    private mutating func readStringRange() throws(ByteDecodingError) -> (start: Int, bytes: Range<Int>) {
        let start = position
        let length = try readLength()
        let from = position
        position += length
        return (start, from..<from + length)
    }

    /// Steps over a string without building it.
    public mutating func skipVarString() throws(ByteDecodingError) {
        _ = try readStringRange()
    }

    /// Moves back to `offset`, a position this reader has already passed
    /// (to read again what was measured first).
    public mutating func rewind(to offset: Int) {
        precondition(offset >= 0 && offset <= position, "rewind only to a position already read")
        position = offset
    }

    /// Reads a string and appends its UTF-16 code units (how Yjs measures
    /// text) to `units`; returns how many it appended. ASCII widens byte by
    /// byte without building a `String` first.
    public mutating func readVarStringUTF16(appendingTo units: inout [UInt16]) throws(ByteDecodingError) -> Int {
        let (start, range, ascii) = try readStringBytes()
        let before = units.count
        guard ascii else {
            position = start
            units.append(contentsOf: try readVarString().utf16)
            return units.count - before
        }
        bytes.withUnsafeBufferPointer { all in
            units.append(contentsOf: UnsafeBufferPointer(rebasing: all[range]).lazy.map { UInt16($0) })
        }
        return range.count
    }

    /// Steps over a string and returns its length in UTF-16 code units,
    /// checking it is UTF-8 (ASCII without building anything).
    public mutating func skipVarStringUTF16() throws(ByteDecodingError) -> Int {
        let (start, range, ascii) = try readStringBytes()
        guard ascii else {
            position = start
            return try readVarString().utf16.count
        }
        return range.count
    }

    /// ASCII (ids, names) needs no validation pass; anything else gets one.
    @inlinable @inline(__always)
    static func isUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let utf8 = bytes.assumingMemoryBound(to: UInt8.self)
        return ByteReader.isASCII(utf8) || String(validating: utf8, as: UTF8.self) != nil
    }

    /// Eight bytes at a time: ids are checked at every event of a replay.
    /// Past eight bytes, the last word overlaps the one before it instead
    /// of a byte loop for the tail (a 36-byte UUID is five loads).
    @inlinable @inline(__always)
    static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        isASCII(UnsafeRawBufferPointer(bytes))
    }

    @inlinable @inline(__always)
    static func isASCII(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let raw = bytes.baseAddress else { return true }
        let count = bytes.count
        if count >= 8 {
            var any = raw.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
            var i = 0
            while i < count - 8 {
                any |= raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                i += 8
            }
            return any & 0x8080_8080_8080_8080 == 0
        }
        var any: UInt8 = 0
        for i in 0..<count { any |= raw.load(fromByteOffset: i, as: UInt8.self) }
        return any < 0x80
    }

    public mutating func readVarBytes() throws(ByteDecodingError) -> [UInt8] {
        Array(try readBytes(try readLength()))
    }

    public mutating func readFloat32() throws(ByteDecodingError) -> Float {
        Float(bitPattern: try readBigEndian(UInt32.self))
    }

    public mutating func readFloat64() throws(ByteDecodingError) -> Double {
        Double(bitPattern: try readBigEndian(UInt64.self))
    }

    public mutating func readBigInt64() throws(ByteDecodingError) -> Int64 {
        Int64(bitPattern: try readBigEndian(UInt64.self))
    }

    public mutating func readBigEndian<T: FixedWidthInteger>(_: T.Type) throws(ByteDecodingError) -> T {
        let size = MemoryLayout<T>.size
        try need(size)
        var value: T = 0
        for i in 0..<size { value = value << 8 | T(bytes[position + i]) }
        position += size
        return value
    }

    /// 2^53 - 1, the largest integer lib0 encodes as a varint.
    public static let maxSafeInteger: UInt64 = (1 << 53) - 1
}

/// Why a byte sequence could not be decoded, and where.
public enum ByteDecodingError: Error, Equatable, Sendable, CustomStringConvertible {
    case unexpectedEnd(offset: Int, needed: Int, available: Int)
    /// Past lib0's 2^53-1 (the lib0 readers).
    case integerOverflow(offset: Int)
    /// Past 64 bits, or longer than ten bytes (Cairn's record readers).
    case integerTooWide(offset: Int)
    case lengthTooLarge(offset: Int, length: UInt64, available: Int)
    case invalidUTF8(offset: Int)
    case unknownTag(offset: Int, tag: UInt8, what: String)
    case trailingBytes(offset: Int, count: Int)
    case nestedTooDeeply(offset: Int)

    public var description: String {
        switch self {
        case let .unexpectedEnd(offset, needed, available):
            return "truncated input at byte \(offset): needed \(needed) more byte(s), \(available) left"
        case let .integerOverflow(offset):
            return "integer at byte \(offset) exceeds 2^53-1"
        case let .integerTooWide(offset):
            return "integer at byte \(offset) does not fit in 64 bits"
        case let .lengthTooLarge(offset, length, available):
            return "length \(length) at byte \(offset) exceeds the \(available) byte(s) left"
        case let .invalidUTF8(offset):
            return "string at byte \(offset) is not valid UTF-8"
        case let .unknownTag(offset, tag, what):
            return "unknown \(what) tag \(tag) at byte \(offset)"
        case let .trailingBytes(offset, count):
            return "\(count) unexpected trailing byte(s) at byte \(offset)"
        case let .nestedTooDeeply(offset):
            return "value at byte \(offset) is nested too deeply"
        }
    }
}
