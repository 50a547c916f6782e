public import Foundation

/// A point in time as microseconds since the Unix epoch, the resolution
/// workers report in. Events store these; the CLI prints them as ISO-8601 UTC.
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let microseconds: Int64

    public init(microseconds: Int64) { self.microseconds = microseconds }

    /// The instant `date` names, rounded to the microsecond. Dates beyond
    /// what 64-bit microseconds can hold (about ±292,000 years) saturate
    /// instead of trapping; `init?(parsing:)` refuses them instead.
    public init(_ date: Date) {
        let micros = (date.timeIntervalSince1970 * 1_000_000).rounded()
        if let exact = Timestamp.microseconds(fitting: micros) {
            microseconds = exact
        } else {
            microseconds = micros < 0 ? .min : .max
        }
    }

    /// `micros` as 64-bit microseconds, or `nil` when it is not finite or
    /// does not fit. (`Int64(Double)` traps instead, and an ISO-8601 year
    /// like 300000 parses to such a date.)
    static func microseconds(fitting micros: Double) -> Int64? {
        guard micros.isFinite, micros >= -9.2e18, micros <= 9.2e18 else { return nil }
        return Int64(micros)
    }

    public static func now() -> Timestamp { Timestamp(Date()) }

    public var date: Date { Date(timeIntervalSince1970: Double(microseconds) / 1_000_000) }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.microseconds < b.microseconds }

    /// The times an event may carry from outside (docs/events.md): from
    /// 1900-01-01 up to, not including, 2200-01-01 UTC. Anything else is a
    /// unit mistake (nanoseconds or milliseconds for microseconds) or
    /// garbage, and the worker protocol refuses it. The bounds also keep
    /// every accepted timestamp within 2^53, exact as a JavaScript number.
    public static let accepted: Range<Int64> = -2_208_988_800_000_000..<7_258_118_400_000_000

    /// Parses integer microseconds since the epoch or an ISO-8601 time
    /// (`ISO8601.parse`: with `Z` or an offset, optional fractional seconds
    /// kept to the microsecond; no zone means UTC; a date alone is midnight).
    /// `nil` also for a time whose microseconds do not fit in 64 bits.
    public init?(parsing text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let micros = Int64(trimmed) {
            self.init(microseconds: micros)
            return
        }
        guard case .microseconds(let micros) = ISO8601.parse(trimmed) else { return nil }
        self.init(microseconds: micros)
    }

    /// ISO-8601 in UTC; microseconds shown only when not zero.
    public var iso8601: String { ISO8601.format(microseconds: microseconds) }

    public var description: String { iso8601 }
}

extension Int64 {
    @inline(__always)
    func floorDiv(_ d: Int64) -> Int64 {
        let q = self / d
        return (self % d != 0 && (self < 0) != (d < 0)) ? q - 1 : q
    }
}
