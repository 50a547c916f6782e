#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Hands back the same `String` for the same bytes, so a decoder reading a
/// stream where ids repeat (a run's id is in each of its events) allocates
/// each one once instead of at every occurrence.
///
/// A fixed table of recent strings, addressed by a hash of their bytes; a
/// new string takes the slot of an older one with the same hash bits, so the
/// table never grows and a miss costs only the string it would have built.
/// Strings short enough to be stored inline (15 UTF-8 bytes) are never
/// allocated and are not kept. Not thread-safe: one per decoding loop.
public final class StringInterner {
    // Touched several times per decoded string, never from two places at
    // once: no run-time exclusivity checks.
    @exclusivity(unchecked) private var strings: [String]
    @exclusivity(unchecked) private var hashes: [UInt64]
    private let mask: Int

    /// `capacity` slots, rounded up to a power of two: about the number of
    /// distinct ids live at once (runs in flight) that should still hit.
    public init(capacity: Int = 4_096) {
        var size = 1
        while size < capacity { size <<= 1 }
        strings = Array(repeating: "", count: size)
        hashes = Array(repeating: 0, count: size)
        mask = size - 1
    }

    /// The string for `utf8`, or `nil` if it is not valid UTF-8.
    @inline(__always)
    public func string(_ utf8: UnsafeBufferPointer<UInt8>) -> String? {
        guard utf8.count > 15, let base = utf8.baseAddress else { return Self.make(utf8) }
        let hash = Self.hash(UnsafeRawPointer(base), utf8.count)
        let slot = Int(truncatingIfNeeded: hash) & mask
        if hashes[slot] == hash {
            var existing = strings[slot]
            let same = existing.withUTF8 { stored in
                stored.count == utf8.count && memcmp(stored.baseAddress!, base, utf8.count) == 0
            }
            if same { return existing }
        }
        guard let made = Self.make(utf8) else { return nil }
        strings[slot] = made
        hashes[slot] = hash
        return made
    }

    /// A new string, or `nil` for invalid UTF-8. ASCII (ids, names) is
    /// valid as it is: `String(validating:)` costs several times more.
    static func make(_ utf8: UnsafeBufferPointer<UInt8>) -> String? {
        ByteReader.isASCII(utf8) ? String(decoding: utf8, as: UTF8.self) : String(validating: utf8, as: UTF8.self)
    }

    /// FNV-1a over 8-byte words (then the tail), finished with a multiply-
    /// xorshift so the low bits, which pick the slot, depend on every byte.
    @inlinable @inline(__always)
    public static func hash(_ p: UnsafeRawPointer, _ count: Int) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(count)
        var offset = 0
        while offset + 8 <= count {
            h = (h ^ p.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) &* 0x100_0000_01b3
            offset += 8
        }
        while offset < count {
            h = (h ^ UInt64(p.load(fromByteOffset: offset, as: UInt8.self))) &* 0x100_0000_01b3
            offset += 1
        }
        h ^= h >> 29
        h = h &* 0xbf58_476d_1ce4_e5b9
        return h ^ (h >> 32)
    }
}
