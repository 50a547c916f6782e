/// A deterministic, random-looking UUID (version 4 layout) for item `n` of a
/// benchmark: real ids are random, and random keys are what an index pays
/// for; counters would sort almost in insertion order and flatter it.
public func benchUUID(_ n: UInt64, salt: UInt64 = 0) -> String {
    func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    let high = mix(n ^ (salt &* 0x5851_F42D_4C95_7F2D))
    let low = mix(high ^ n)
    let hex = Array("0123456789abcdef")
    var out = ""
    out.reserveCapacity(36)
    for (index, word) in [high, low].enumerated() {
        for nibble in 0..<16 {
            var digit = Int((word >> UInt64(60 - nibble * 4)) & 0xF)
            let position = index * 16 + nibble
            if position == 12 { digit = 4 }  // version 4
            if position == 16 { digit = 8 | (digit & 3) }  // variant 10xx
            if position == 8 || position == 12 || position == 16 || position == 20 { out.append("-") }
            out.append(hex[digit])
        }
    }
    return out
}
