/// A wall-clock minute (proleptic Gregorian), the unit cron fields match.
/// Arithmetic is done here (and in `ProlepticGregorian`) rather than through
/// `Calendar` because it is the scheduler's hot path.
struct CivilMinute: Hashable, Comparable, Sendable {
    var year: Int
    var month: Int  // 1...12
    var day: Int  // 1...31
    var hour: Int
    var minute: Int

    static func < (a: CivilMinute, b: CivilMinute) -> Bool {
        (a.year, a.month, a.day, a.hour, a.minute) < (b.year, b.month, b.day, b.hour, b.minute)
    }

    /// Seconds since the epoch if this wall-clock time were UTC.
    var epochSeconds: Int64 {
        let days = Int64(ProlepticGregorian.daysFromCivil(year: year, month: month, day: day))
        return days * 86_400 + Int64(hour * 3_600 + minute * 60)
    }

    /// The wall-clock minute containing `seconds` (as if UTC), rounded down.
    init(epochSeconds seconds: Int64) {
        let days = Int(seconds.floorDiv(86_400))
        let secondOfDay = Int(seconds - Int64(days) * 86_400)
        (year, month, day) = ProlepticGregorian.civilFromDays(days)
        hour = secondOfDay / 3_600
        minute = secondOfDay % 3_600 / 60
    }

    init(year: Int, month: Int, day: Int, hour: Int, minute: Int) {
        (self.year, self.month, self.day, self.hour, self.minute) = (year, month, day, hour, minute)
    }

    /// 0 = Sunday ... 6 = Saturday.
    var weekday: Int {
        let days = ProlepticGregorian.daysFromCivil(year: year, month: month, day: day)
        return ((days % 7) + 11) % 7  // 1970-01-01 was a Thursday (4).
    }
}

extension Int64 {
    @inline(__always)
    func floorDiv(_ d: Int64) -> Int64 {
        let q = self / d
        return (self % d != 0 && (self < 0) != (d < 0)) ? q - 1 : q
    }
}
