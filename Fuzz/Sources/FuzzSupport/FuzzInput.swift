/// The fuzzer's bytes read as a stream of choices (in the manner of LLVM's
/// `FuzzedDataProvider`): a generator asks for a byte, a number in a range, a
/// flag or a run of bytes, and gets zeros once the input is used up, so every
/// input, however short, makes a complete (if small) case. Small changes to the
/// input make small changes to the case, which is what lets libFuzzer's
/// mutations walk a structure instead of breaking it.
public struct FuzzInput {
    public let bytes: [UInt8]
    public private(set) var position = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public init(_ start: UnsafeRawPointer, _ count: Int) {
        bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    }

    public var isEmpty: Bool { position >= bytes.count }
    public var remaining: Int { max(0, bytes.count - position) }

    public mutating func byte() -> UInt8 {
        guard position < bytes.count else { return 0 }
        defer { position += 1 }
        return bytes[position]
    }

    public mutating func bool() -> Bool { byte() & 1 == 1 }

    /// A number in `range`, from one byte when the range is small, else from up to eight.
    public mutating func int(_ range: ClosedRange<Int>) -> Int {
        let span = UInt64(range.upperBound - range.lowerBound)
        guard span > 0 else { return range.lowerBound }
        var value: UInt64 = 0
        var taken: UInt64 = 0
        while taken < span && !isEmpty {
            value = value << 8 | UInt64(byte())
            taken = taken << 8 | 0xFF
        }
        return range.lowerBound + Int(value % (span + 1))
    }

    public mutating func uint64() -> UInt64 {
        var value: UInt64 = 0
        for _ in 0..<8 { value = value << 8 | UInt64(byte()) }
        return value
    }

    public mutating func pick<T>(_ choices: [T]) -> T { choices[int(0...(choices.count - 1))] }

    /// Up to `max` bytes, the count read first.
    public mutating func bytes(max: Int) -> [UInt8] {
        let n = min(int(0...max), remaining)
        defer { position += n }
        return Array(bytes[position..<(position + n)])
    }

    /// Up to `max` bytes as a string (invalid UTF-8 repaired, as Swift decodes it).
    public mutating func string(max: Int) -> String { String(decoding: bytes(max: max), as: UTF8.self) }

    /// Everything left.
    public mutating func rest() -> [UInt8] {
        defer { position = bytes.count }
        return position < bytes.count ? Array(bytes[position...]) : []
    }

    /// The input cut at each occurrence of `separator` (what a text format's
    /// fields look like to a mutator that knows nothing of them).
    public static func fields(_ bytes: [UInt8], separator: UInt8, limit: Int) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var current: [UInt8] = []
        for b in bytes {
            if b == separator && out.count < limit - 1 {
                out.append(current)
                current = []
            } else {
                current.append(b)
            }
        }
        out.append(current)
        return out
    }
}
