/// Writes Cairn's record layout (lib0 varints, length-prefixed strings,
/// presence-byte optionals) straight into memory the caller has sized: no
/// capacity check per field, no array. For records written millions of
/// times (a replay's runs); `ByteWriter` is the general, safe one.
///
/// The caller reserves at least what `bound` methods say and must not
/// write past it; `written` says how much was used.
@frozen
public struct RawByteWriter {
    @usableFromInline let start: UnsafeMutableRawPointer
    @usableFromInline var cursor: UnsafeMutableRawPointer

    @inlinable
    public init(_ start: UnsafeMutableRawPointer) {
        self.start = start
        cursor = start
    }

    @inlinable public var written: Int { cursor - start }

    /// The most bytes a varint takes (64 bits, 7 a byte). Computed, not a
    /// stored `static let`: every use of one from another module goes
    /// through its lazy initializer, and record bounds use it per field.
    @inlinable public static var maxVarIntCount: Int { 10 }

    /// The most bytes `varString(s)` or `optional(s)` takes.
    @inlinable
    public static func bound(_ s: ByteSlice?) -> Int { 1 + maxVarIntCount + (s?.count ?? 0) }

    @inlinable @inline(__always)
    public mutating func byte(_ value: UInt8) {
        cursor.storeBytes(of: value, as: UInt8.self)
        cursor += 1
    }

    @inlinable
    public mutating func varUInt(_ value: UInt64) { Varint.write(value) { byte($0) } }

    @inlinable
    public mutating func varInt(_ value: Int64) { Varint.write(value) { byte($0) } }

    @inlinable
    public mutating func varString(_ s: ByteSlice) {
        varUInt(UInt64(s.count))
        if let base = s.buffer.baseAddress, s.count > 0 {
            cursor.copyMemory(from: base, byteCount: s.count)
            cursor += s.count
        }
    }

    @inlinable
    public mutating func optional(_ s: ByteSlice?) {
        if let s {
            byte(1)
            varString(s)
        } else {
            byte(0)
        }
    }

    @inlinable
    public mutating func optional(_ value: Int64?) {
        if let value {
            byte(1)
            varInt(value)
        } else {
            byte(0)
        }
    }
}
