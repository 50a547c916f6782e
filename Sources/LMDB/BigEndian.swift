/// Keys are stored big-endian so LMDB's bytewise order is numeric order.
extension FixedWidthInteger {
    /// The integer as big-endian bytes, for use as (part of) a key.
    @inlinable
    public var bigEndianBytes: [UInt8] {
        withUnsafeBytes(of: self.bigEndian) { Array($0) }
    }

    /// Reads a big-endian integer from the start of `bytes`; `nil` if too short.
    @inlinable
    public init?(bigEndianBytes bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= MemoryLayout<Self>.size else { return nil }
        var value: Self = 0
        withUnsafeMutableBytes(of: &value) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[0..<MemoryLayout<Self>.size])) }
        self.init(bigEndian: value)
    }

    /// Reads a big-endian integer from the start of `bytes`; `nil` if too short.
    @inlinable
    public init?(bigEndianBytes bytes: some Collection<UInt8>) {
        guard bytes.count >= MemoryLayout<Self>.size else { return nil }
        var value: Self = 0
        for byte in bytes.prefix(MemoryLayout<Self>.size) { value = value << 8 | Self(byte) }
        self = value
    }
}
