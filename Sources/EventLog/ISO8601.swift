import Cron

/// ISO-8601 times as Cairn reads and writes them (docs/events.md, "Times"),
/// to the microsecond, in integer arithmetic.
///
/// Not Foundation's `ISO8601DateFormatter`: through ICU it keeps only
/// milliseconds of a fraction (`.123456` came back `.123`, so a worker's
/// microseconds were lost), accepts dates that do not exist (February 30 is
/// read as March 1, an offset of +25:00 as given), and costs an ICU
/// formatter a call, a quarter of an ingest's time.
public enum ISO8601 {
    /// What `parse` read.
    public enum Parsed: Equatable, Sendable {
        case microseconds(Int64)
        /// A well-formed time whose microseconds since the epoch do not fit
        /// in 64 bits (a year like 300000).
        case beyondRange
    }

    /// Reads `YYYY-MM-DD`, optionally followed by `T`, `t` or a space and
    /// `hh:mm[:ss[.fraction]]`, optionally followed by `Z`, `z`, `±hh:mm`,
    /// `±hhmm` or `±hh`. A date alone is midnight UTC; a time without a zone
    /// is UTC. A fraction has any number of digits (`.` or `,`), rounded to
    /// the microsecond. The year has four digits, or more (with an optional
    /// sign) as ISO-8601's expanded years. Every field is range-checked:
    /// month 1–12, the day within its month, hours 0–23, minutes and
    /// seconds 0–59, offsets within ±23:59. `nil` for anything else.
    public static func parse(_ text: String) -> Parsed? {
        var text = text
        return text.withUTF8 { parse(bytes: $0) }
    }

    static func parse(bytes: UnsafeBufferPointer<UInt8>) -> Parsed? {
        var reader = Reader(bytes: bytes)
        // Date.
        var sign = 1
        if reader.take(UInt8(ascii: "-")) { sign = -1 } else { _ = reader.take(UInt8(ascii: "+")) }
        let yearStart = reader.index
        guard let yearDigits = reader.number(maxDigits: 9), reader.index - yearStart >= 4 else { return nil }
        let year = sign * yearDigits
        guard reader.take(UInt8(ascii: "-")), let month = reader.digits(2), (1...12).contains(month),
              reader.take(UInt8(ascii: "-")), let day = reader.digits(2),
              (1...ProlepticGregorian.daysIn(month: month, year: year)).contains(day)
        else { return nil }
        var secondOfDay = 0
        var micros = 0
        var offsetSeconds = 0
        if !reader.atEnd {
            // Time.
            guard reader.take(UInt8(ascii: "T")) || reader.take(UInt8(ascii: "t")) || reader.take(UInt8(ascii: " ")),
                  let hour = reader.digits(2), hour < 24, reader.take(UInt8(ascii: ":")),
                  let minute = reader.digits(2), minute < 60
            else { return nil }
            var second = 0
            if reader.take(UInt8(ascii: ":")) {
                guard let s = reader.digits(2), s < 60 else { return nil }
                second = s
                if reader.take(UInt8(ascii: ".")) || reader.take(UInt8(ascii: ",")) {
                    guard let fraction = reader.fractionMicroseconds() else { return nil }
                    micros = fraction
                }
            }
            secondOfDay = hour * 3_600 + minute * 60 + second
            // Zone.
            if reader.take(UInt8(ascii: "Z")) || reader.take(UInt8(ascii: "z")) {
            } else if let offsetSign = reader.peek, offsetSign == UInt8(ascii: "+") || offsetSign == UInt8(ascii: "-") {
                reader.index += 1
                guard let hours = reader.digits(2), hours < 24 else { return nil }
                var minutes = 0
                if !reader.atEnd {
                    _ = reader.take(UInt8(ascii: ":"))
                    guard let m = reader.digits(2), m < 60 else { return nil }
                    minutes = m
                }
                offsetSeconds = (offsetSign == UInt8(ascii: "-") ? -1 : 1) * (hours * 3_600 + minutes * 60)
            }
        }
        guard reader.atEnd else { return nil }
        let days = ProlepticGregorian.daysFromCivil(year: year, month: month, day: day)
        // Nine digits of year keep `days` far inside an Int; only the
        // microseconds can overflow.
        let seconds = Int64(days) * 86_400 + Int64(secondOfDay - offsetSeconds)
        // Before the epoch, a second up and the fraction's complement down,
        // so that a time in Int64.min's second (whose whole seconds alone
        // do not fit) reads back: `parse(format(x)) == x` for every x.
        let carry: Int64 = seconds < 0 && micros > 0 ? 1 : 0
        let (scaled, overflow) = (seconds + carry).multipliedReportingOverflow(by: 1_000_000)
        let (total, overflow2) = scaled.addingReportingOverflow(Int64(micros) - carry * 1_000_000)
        return overflow || overflow2 ? .beyondRange : .microseconds(total)
    }

    /// `YYYY-MM-DDThh:mm:ssZ` in UTC, with `.ffffff` when the microseconds
    /// are not zero. Years before 1 or after 9999 get a sign or more digits.
    public static func format(microseconds: Int64) -> String {
        // Floor division written so that Int64.min (a saturated
        // `Timestamp`) does not overflow on the way.
        var seconds = microseconds / 1_000_000
        var micros = Int(microseconds % 1_000_000)
        if micros < 0 {
            seconds -= 1
            micros += 1_000_000
        }
        let days = seconds.floorDiv(86_400)
        let secondOfDay = Int(seconds - days * 86_400)
        let (year, month, day) = ProlepticGregorian.civilFromDays(Int(days))
        var out = [UInt8]()
        out.reserveCapacity(32)
        if year < 0 { out.append(UInt8(ascii: "-")) }
        append(abs(year), width: 4, to: &out)
        out.append(UInt8(ascii: "-"))
        append(month, width: 2, to: &out)
        out.append(UInt8(ascii: "-"))
        append(day, width: 2, to: &out)
        out.append(UInt8(ascii: "T"))
        append(secondOfDay / 3_600, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        append(secondOfDay / 60 % 60, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        append(secondOfDay % 60, width: 2, to: &out)
        if micros != 0 {
            out.append(UInt8(ascii: "."))
            append(micros, width: 6, to: &out)
        }
        out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }

    /// `value` (not negative) in decimal, zero-padded to at least `width`
    /// digits, written straight into `out`: every run shown formats its
    /// times, so no buffer a field.
    private static func append(_ value: Int, width: Int, to out: inout [UInt8]) {
        var scale = 1
        var count = 1
        while scale <= value / 10 {
            scale *= 10
            count += 1
        }
        for _ in count..<max(width, count) { out.append(UInt8(ascii: "0")) }
        while scale > 0 {
            out.append(UInt8(ascii: "0") + UInt8(value / scale % 10))
            scale /= 10
        }
    }

    /// A cursor over ASCII bytes.
    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        var atEnd: Bool { index == bytes.count }
        var peek: UInt8? { atEnd ? nil : bytes[index] }

        mutating func take(_ byte: UInt8) -> Bool {
            guard peek == byte else { return false }
            index += 1
            return true
        }

        /// Exactly `count` decimal digits.
        mutating func digits(_ count: Int) -> Int? {
            guard bytes.count - index >= count else { return nil }
            var value = 0
            for _ in 0..<count {
                let digit = bytes[index] &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                value = value * 10 + Int(digit)
                index += 1
            }
            return value
        }

        /// One to `maxDigits` decimal digits (more is refused, not cut).
        mutating func number(maxDigits: Int) -> Int? {
            var value = 0
            var count = 0
            while let byte = peek, byte &- UInt8(ascii: "0") < 10 {
                count += 1
                guard count <= maxDigits else { return nil }
                value = value * 10 + Int(byte &- UInt8(ascii: "0"))
                index += 1
            }
            return count > 0 ? value : nil
        }

        /// A fraction's digits (at least one), as microseconds rounded half
        /// up: the seventh digit decides, later ones are read and dropped.
        /// 0.9999995 rounds to 1,000,000, which the caller adds as a second.
        mutating func fractionMicroseconds() -> Int? {
            var micros = 0
            var count = 0
            var roundUp = false
            while let byte = peek, byte &- UInt8(ascii: "0") < 10 {
                let digit = Int(byte &- UInt8(ascii: "0"))
                if count < 6 { micros = micros * 10 + digit } else if count == 6 { roundUp = digit >= 5 }
                count += 1
                index += 1
            }
            guard count > 0 else { return nil }
            if count < 6 { for _ in count..<6 { micros *= 10 } }
            return micros + (roundUp ? 1 : 0)
        }
    }
}
