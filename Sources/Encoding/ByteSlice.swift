#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Bytes borrowed from memory that outlives the slice: a value in an LMDB
/// map during its transaction, or a buffer its owner keeps alive. Holds no
/// reference, so copying one costs nothing: a replay passes ids around as
/// slices of the stored events instead of building a `String` for each.
///
/// Equal when the bytes are equal, wherever they lie.
public struct ByteSlice: Hashable, @unchecked Sendable {
    public let buffer: UnsafeRawBufferPointer

    @inline(__always)
    public init(_ buffer: UnsafeRawBufferPointer) { self.buffer = buffer }

    public var count: Int { buffer.count }
    public var isEmpty: Bool { buffer.isEmpty }

    /// The bytes as a string. Slices the readers hand out are valid UTF-8.
    public var string: String { String(decoding: buffer, as: UTF8.self) }
    public var bytes: [UInt8] { Array(buffer) }

    /// A hash of the bytes (`StringInterner.hash`), for tables keyed by id.
    @inline(__always)
    public var hash64: UInt64 {
        guard let base = buffer.baseAddress else { return StringInterner.hash(UnsafeRawPointer(bitPattern: 1)!, 0) }
        return StringInterner.hash(base, buffer.count)
    }

    @inline(__always)
    public static func == (a: ByteSlice, b: ByteSlice) -> Bool {
        guard a.buffer.count == b.buffer.count else { return false }
        guard a.buffer.count > 0 else { return true }
        return memcmp(a.buffer.baseAddress!, b.buffer.baseAddress!, a.buffer.count) == 0
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(hash64) }

    /// Whether the bytes equal `s`'s UTF-8.
    public func equals(_ s: String) -> Bool {
        var s = s
        return s.withUTF8 { ByteSlice(UnsafeRawBufferPointer($0)) == self }
    }
}

extension [UInt8] {
    /// A slice's bytes, copied in one go.
    @inline(__always)
    public mutating func append(_ slice: ByteSlice) { append(contentsOf: slice.buffer) }

    // Cairn's record layout (see `Optionals.swift`), for slices.

    /// A string: its length (varuint), then its bytes.
    public mutating func appendVarString(_ slice: ByteSlice) {
        appendVarUInt(UInt64(slice.count))
        append(contentsOf: slice.buffer)
    }

    public mutating func appendOptional(_ slice: ByteSlice?) {
        if let slice {
            append(1)
            appendVarString(slice)
        } else {
            append(0)
        }
    }

    public mutating func appendOptional(_ value: Int64?) {
        if let value {
            append(1)
            appendVarInt(value)
        } else {
            append(0)
        }
    }
}
