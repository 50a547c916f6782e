public import Encoding

/// Where key and value parts are appended: an array (`Key`, readers'
/// lookups), or a deferred entry built in place (`EntryBuilder`). The
/// layout of each part is written here once for both.
public protocol KeySink {
    mutating func appendRaw(_ bytes: UnsafeRawBufferPointer)
    mutating func appendByte(_ byte: UInt8)
}

extension KeySink {
    @inline(__always)
    public mutating func append(_ slice: ByteSlice) { appendRaw(slice.buffer) }

    public mutating func append(bytes: [UInt8]) { bytes.withUnsafeBytes { appendRaw($0) } }

    /// A string's UTF-8 bytes, copied in one go.
    public mutating func appendUTF8(_ s: String) {
        var s = s
        s.withUTF8 { appendRaw(UnsafeRawBufferPointer($0)) }
    }

    /// A string, then the 0 separator (`Key.part`; ids never contain NUL).
    public mutating func appendPart(_ s: String) {
        appendUTF8(s)
        appendByte(0)
    }

    @inline(__always)
    public mutating func appendPart(_ s: ByteSlice) {
        appendRaw(s.buffer)
        appendByte(0)
    }

    /// A time that sorts numerically, negative times too (sign bit flipped, big-endian).
    @inline(__always)
    public mutating func appendTime(_ t: Timestamp) { appendBigEndian(UInt64(bitPattern: t.microseconds) ^ (1 << 63)) }

    @inline(__always)
    public mutating func appendBigEndian(_ value: UInt64) {
        withUnsafeBytes(of: value.bigEndian) { appendRaw($0) }
    }
}

extension [UInt8]: KeySink {
    public mutating func appendRaw(_ bytes: UnsafeRawBufferPointer) {
        // A typed buffer: appending raw bytes goes element by element.
        append(contentsOf: bytes.assumingMemoryBound(to: UInt8.self))
    }
    public mutating func appendByte(_ byte: UInt8) { append(byte) }
}

/// One deferred entry's key and value, built part by part in memory the
/// batch reuses for every entry: no capacity or uniqueness check of an
/// array per part, which cost more than the bytes they appended.
public struct EntryBuilder: KeySink {
    package private(set) var base: UnsafeMutableRawPointer
    private var capacity: Int
    /// The bytes built so far.
    public private(set) var count = 0

    package init(capacity: Int = 4_096) {
        self.capacity = capacity
        base = .allocate(byteCount: capacity, alignment: 16)
    }

    /// Frees the memory; the builder is not used again.
    package func release() { base.deallocate() }

    package mutating func reset() { count = 0 }

    @inline(__always)
    public mutating func appendRaw(_ bytes: UnsafeRawBufferPointer) {
        if count + bytes.count > capacity { grow(to: count + bytes.count) }
        if let source = bytes.baseAddress, bytes.count > 0 {
            (base + count).copyMemory(from: source, byteCount: bytes.count)
            count += bytes.count
        }
    }

    @inline(__always)
    public mutating func appendByte(_ byte: UInt8) {
        if count + 1 > capacity { grow(to: count + 1) }
        (base + count).storeBytes(of: byte, as: UInt8.self)
        count += 1
    }

    private mutating func grow(to needed: Int) {
        var size = capacity * 2
        while size < needed { size *= 2 }
        let bigger = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        bigger.copyMemory(from: base, byteCount: count)
        base.deallocate()
        base = bigger
        capacity = size
    }
}
