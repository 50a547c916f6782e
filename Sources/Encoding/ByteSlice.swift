/// Bytes borrowed from memory that outlives the slice: a value in an LMDB
/// map during its transaction, or a buffer its owner keeps alive. Holds no
/// reference, so copying one costs nothing: a replay passes ids around as
/// slices of the stored events instead of building a `String` for each.
///
/// Equal when the bytes are equal, wherever they lie.
@frozen
public struct ByteSlice: Hashable, @unchecked Sendable {
    public let buffer: UnsafeRawBufferPointer

    @inlinable @inline(__always)
    public init(_ buffer: UnsafeRawBufferPointer) { self.buffer = buffer }

    @inlinable public var count: Int { buffer.count }
    public var isEmpty: Bool { buffer.isEmpty }

    /// The bytes as a string. Slices the readers hand out are valid UTF-8.
    public var string: String { String(decoding: buffer, as: UTF8.self) }
    public var bytes: [UInt8] { Array(buffer) }

    /// A hash of the bytes (`StringInterner.hash`), for tables keyed by id.
    @inlinable @inline(__always)
    public var hash64: UInt64 {
        guard let base = buffer.baseAddress else { return StringInterner.hash(UnsafeRawPointer(bitPattern: 1)!, 0) }
        return StringInterner.hash(base, buffer.count)
    }

    /// Eight bytes at a time: ids are a few dozen bytes, shorter than a
    /// call to `memcmp` is worth.
    @inlinable @inline(__always)
    public static func == (a: ByteSlice, b: ByteSlice) -> Bool {
        let count = a.buffer.count
        guard count == b.buffer.count else { return false }
        guard count > 0, let p = a.buffer.baseAddress, let q = b.buffer.baseAddress else { return true }
        var offset = 0
        while offset + 8 <= count {
            if p.loadUnaligned(fromByteOffset: offset, as: UInt64.self) != q.loadUnaligned(fromByteOffset: offset, as: UInt64.self) {
                return false
            }
            offset += 8
        }
        while offset < count {
            if p.load(fromByteOffset: offset, as: UInt8.self) != q.load(fromByteOffset: offset, as: UInt8.self) { return false }
            offset += 1
        }
        return true
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(hash64) }
}

extension [UInt8] {
    /// A slice's bytes, copied in one go.
    @inline(__always)
    public mutating func append(_ slice: ByteSlice) { append(contentsOf: slice.buffer.assumingMemoryBound(to: UInt8.self)) }
}
