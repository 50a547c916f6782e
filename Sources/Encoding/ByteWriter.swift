/// Writes the binary encoding of lib0 (the library under Yjs): variable-length
/// integers, length-prefixed strings and byte arrays, big-endian floats.
/// Byte-for-byte what lib0's `encoding.js` writes, so Yjs updates made here
/// load in Yjs, yrs and pycrdt.
///
/// ```swift
/// var writer = ByteWriter()
/// writer.writeVarUInt(300)      // 0xAC 0x02
/// writer.writeVarString("hi")   // 0x02 0x68 0x69
/// let bytes = writer.bytes
/// ```
public struct ByteWriter: Sendable {
    @usableFromInline var storage: [UInt8]
    /// What has been written so far.
    public var bytes: [UInt8] { storage }

    public init(capacity: Int = 64) {
        storage = []
        storage.reserveCapacity(capacity)
    }

    public var count: Int { storage.count }

    @inlinable
    public mutating func writeUInt8(_ value: UInt8) { storage.append(value) }

    public mutating func writeBytes(_ raw: some Sequence<UInt8>) { storage.append(contentsOf: raw) }

    /// Unsigned LEB128: 7 bits a byte, least significant first, high bit = more.
    public mutating func writeVarUInt(_ value: UInt64) { Varint.write(value) { storage.append($0) } }

    @inlinable
    public mutating func writeVarUInt(_ value: Int) {
        precondition(value >= 0, "writeVarUInt takes a non-negative value")
        writeVarUInt(UInt64(value))
    }

    /// lib0's signed varint: the first byte holds a continuation bit, a sign
    /// bit and 6 bits of magnitude; the rest 7 bits each (sign-magnitude, not zigzag).
    public mutating func writeVarInt(_ value: Int64) { Varint.write(value) { storage.append($0) } }

    /// A UTF-8 string prefixed with its byte length (varuint).
    public mutating func writeVarString(_ string: String) {
        // Not `withUTF8`: it is mutating, so it needs a copy of the string
        // (a retain and a release per string written).
        let written: Void? = string.utf8.withContiguousStorageIfAvailable { utf8 in
            writeVarUInt(UInt64(utf8.count))
            storage.append(contentsOf: utf8)
        }
        if written == nil {
            writeVarUInt(UInt64(string.utf8.count))
            storage.append(contentsOf: string.utf8)
        }
    }

    /// A byte array prefixed with its length (varuint).
    public mutating func writeVarBytes(_ raw: some Collection<UInt8>) {
        writeVarUInt(UInt64(raw.count))
        storage.append(contentsOf: raw)
    }

    public mutating func writeFloat32(_ value: Float) { writeBigEndian(value.bitPattern) }
    public mutating func writeFloat64(_ value: Double) { writeBigEndian(value.bitPattern) }
    public mutating func writeBigInt64(_ value: Int64) { writeBigEndian(UInt64(bitPattern: value)) }

    /// A fixed-width integer, most significant byte first.
    public mutating func writeBigEndian<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.bigEndian) { storage.append(contentsOf: $0) }
    }
}

