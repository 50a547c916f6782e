/// lib0's encoding (what Yjs updates and y-protocols frames are written in),
/// written independently of the main package's `Encoding` so a generated
/// update does not share the code that reads it.
public struct Lib0Writer {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public mutating func uint8(_ v: UInt8) { bytes.append(v) }

    public mutating func varUInt(_ v: UInt64) {
        var v = v
        while v > 0x7F {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    public mutating func varUInt(_ v: Int) { varUInt(UInt64(max(0, v))) }

    /// lib0's signed varint: sign in bit 6 of the first byte, 6 bits there, 7 after.
    public mutating func varInt(_ v: Int64) {
        var magnitude = v.magnitude
        var first = UInt8(magnitude & 0x3F)
        if v < 0 { first |= 0x40 }
        magnitude >>= 6
        if magnitude > 0 { first |= 0x80 }
        bytes.append(first)
        while magnitude > 0 {
            var b = UInt8(magnitude & 0x7F)
            magnitude >>= 7
            if magnitude > 0 { b |= 0x80 }
            bytes.append(b)
        }
    }

    public mutating func varBytes(_ b: [UInt8]) {
        varUInt(b.count)
        bytes.append(contentsOf: b)
    }

    public mutating func varString(_ s: String) { varBytes(Array(s.utf8)) }

    public mutating func float64(_ d: Double) {
        let bits = d.bitPattern
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift))) }
    }

    public mutating func raw(_ b: [UInt8]) { bytes.append(contentsOf: b) }
}

extension Lib0Writer {
    /// `bytes` cut into lib0 `varBytes` frames (a varuint length, then that
    /// many bytes): how the sync targets' inputs hold one WebSocket message
    /// each. What does not parse as a frame is the last frame, as is.
    public static func frames(_ bytes: [UInt8], limit: Int = 64) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var i = 0
        while i < bytes.count && out.count < limit {
            var length: UInt64 = 0
            var shift: UInt64 = 0
            var j = i
            var ok = false
            while j < bytes.count && shift < 35 {
                let b = bytes[j]
                j += 1
                length |= UInt64(b & 0x7F) << shift
                shift += 7
                if b & 0x80 == 0 { ok = true; break }
            }
            guard ok, length <= UInt64(bytes.count - j) else {
                out.append(Array(bytes[i...]))
                return out
            }
            out.append(Array(bytes[j..<(j + Int(length))]))
            i = j + Int(length)
        }
        return out
    }
}
