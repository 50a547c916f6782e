public import Foundation

/// A cron expression evaluated in a time zone: the fire times of one trigger.
///
/// Fields match local wall-clock time. Around offset changes (DST) each local
/// minute fires at most once: a local time skipped by a jump forward fires at
/// the first instant after the gap; a local time that occurs twice fires at
/// its first occurrence. Every fire is a whole UTC minute (`instant(of:)`).
public struct CronSchedule: Sendable, Hashable {
    public let expression: CronExpression
    public let timeZone: TimeZone
    public let dayMatch: DayMatch
    private let isUTC: Bool

    public init(_ expression: CronExpression, timeZone: TimeZone = .utc, dayMatch: DayMatch = .any) {
        self.expression = expression
        self.timeZone = timeZone
        self.dayMatch = dayMatch
        // A fast path that skips offset look-ups; any other zone takes the general path.
        isUTC = ["UTC", "GMT", "Etc/UTC", "Etc/GMT", "Etc/UCT", "UCT", "Zulu", "Etc/Zulu", "Universal"].contains(timeZone.identifier)
    }

    /// Parses `expression` and resolves `timeZone` (an IANA name).
    public init(_ expression: String, timeZone: String = "UTC", dayMatch: DayMatch = .any) throws(CronError) {
        guard let zone = TimeZone(identifier: timeZone) else { throw .unknownTimeZone(timeZone) }
        self.init(try CronExpression(expression), timeZone: zone, dayMatch: dayMatch)
    }

    /// Whether the schedule fires at all.
    public var canFire: Bool { expression.canFire(dayMatch: dayMatch) }

    /// The first fire time strictly after `date`, or `nil` if it never fires.
    public func next(after date: Date) -> Date? {
        nextSecond(after: Int64(date.timeIntervalSince1970.rounded(.down))).map {
            Date(timeIntervalSince1970: TimeInterval($0))
        }
    }

    /// The last fire time strictly before `date`, or `nil` if none.
    public func previous(before date: Date) -> Date? {
        previousSecond(before: Int64(date.timeIntervalSince1970.rounded(.up))).map {
            Date(timeIntervalSince1970: TimeInterval($0))
        }
    }

    /// The next `count` fire times after `date` (fewer if it stops firing).
    public func next(_ count: Int, after date: Date) -> [Date] {
        var result: [Date] = []
        var cursor = date
        while result.count < count, let fire = next(after: cursor) {
            result.append(fire)
            cursor = fire
        }
        return result
    }

    /// The `count` fire times before `date`, latest first.
    public func previous(_ count: Int, before date: Date) -> [Date] {
        var result: [Date] = []
        var cursor = date
        while result.count < count, let fire = previous(before: cursor) {
            result.append(fire)
            cursor = fire
        }
        return result
    }

    /// Whether the schedule fires at the minute containing `date`.
    public func fires(atMinuteOf date: Date) -> Bool {
        let second = Int64(date.timeIntervalSince1970.rounded(.down)).floorDiv(60) * 60
        return nextSecond(after: second - 1) == second
    }

    // MARK: Epoch-second core

    /// Seconds since the epoch of the first fire strictly after `t`.
    public func nextSecond(after t: Int64) -> Int64? {
        guard canFire else { return nil }
        if isUTC {
            let start = CivilMinute(epochSeconds: t.floorDiv(60) * 60 + 60)
            return searchForward(from: start).map(\.epochSeconds)
        }
        // Local minutes map monotonically to instants (see `instant(of:)`), so
        // walk local candidates from a little before t and keep the first after t.
        let slack = offsetSpan(around: t)
        var local = CivilMinute(epochSeconds: (t + Int64(timeZone.secondsFromGMT(for: t))).floorDiv(60) * 60 - slack)
        while let candidate = searchForward(from: local) {
            let fire = instant(of: candidate)
            if fire > t { return fire }
            local = CivilMinute(epochSeconds: candidate.epochSeconds + 60)
        }
        return nil
    }

    /// Seconds since the epoch of the last fire strictly before `t`.
    public func previousSecond(before t: Int64) -> Int64? {
        guard canFire else { return nil }
        if isUTC {
            let start = CivilMinute(epochSeconds: (t - 1).floorDiv(60) * 60)
            return searchBackward(from: start).map(\.epochSeconds)
        }
        let slack = offsetSpan(around: t)
        var local = CivilMinute(epochSeconds: (t + Int64(timeZone.secondsFromGMT(for: t))).floorDiv(60) * 60 + slack)
        while let candidate = searchBackward(from: local) {
            let fire = instant(of: candidate)
            if fire < t { return fire }
            local = CivilMinute(epochSeconds: candidate.epochSeconds - 60)
        }
        return nil
    }

    /// How far local time may be from `t`'s own offset in the day around it;
    /// zero when no offset change is near.
    private func offsetSpan(around t: Int64) -> Int64 {
        let here = timeZone.secondsFromGMT(for: t)
        let before = timeZone.secondsFromGMT(for: t - 86_400)
        let after = timeZone.secondsFromGMT(for: t + 86_400)
        return Int64(max(abs(here - before), abs(after - here)))
    }

    /// The instant a local minute fires at: its first occurrence, or for a
    /// local time inside a gap, the first instant after the gap; then the
    /// first whole UTC minute from there. Offsets of local mean time carry
    /// seconds (Lisbon's -0:36:45 until 1912, Monrovia's -0:44:30 until
    /// 1972), and a fire off the minute was one the scheduler, which ticks
    /// UTC minutes, never took as its own: it was passed over. The minute
    /// so reached is inside the local minute (the seconds are under 60)
    /// unless a jump forward cuts that minute short: then it is the gap's
    /// end rounded up, as for the minutes inside the gap. Where offsets and
    /// transitions are whole minutes (every zone since 1972) nothing moves.
    /// croniter keeps the instant off the minute.
    func instant(of local: CivilMinute) -> Int64 {
        let first = firstInstant(of: local)
        return (first + 59).floorDiv(60) * 60
    }

    private func firstInstant(of local: CivilMinute) -> Int64 {
        let wall = local.epochSeconds
        // Offsets in force a day either side cover every reading of `wall`.
        let offsets = Set([
            timeZone.secondsFromGMT(for: wall - 86_400), timeZone.secondsFromGMT(for: wall),
            timeZone.secondsFromGMT(for: wall + 86_400),
        ])
        let valid = offsets.map { wall - Int64($0) }.filter { Int64(timeZone.secondsFromGMT(for: $0)) == wall - $0 }
        if let first = valid.min() { return first }
        // In a gap: the transition lies between the readings with the larger
        // and the smaller offset; find it by bisection.
        let sorted = offsets.sorted()
        var low = wall - Int64(sorted.last!)  // reads as before the gap... or at least earlier
        var high = wall - Int64(sorted.first!)
        let offsetAtLow = timeZone.secondsFromGMT(for: low)
        while high - low > 1 {
            let mid = low + (high - low) / 2
            if timeZone.secondsFromGMT(for: mid) == offsetAtLow { low = mid } else { high = mid }
        }
        return high
    }

    // MARK: Field-by-field search in wall-clock time

    /// The first matching local minute at or after `start`.
    func searchForward(from start: CivilMinute) -> CivilMinute? {
        let e = expression
        var t = start
        let lastYear = start.year + 400
        while t.year <= lastYear {
            guard let month = e.months.next(atOrAfter: t.month) else {
                t = CivilMinute(year: t.year + 1, month: 1, day: 1, hour: 0, minute: 0)
                continue
            }
            if month != t.month {
                t = CivilMinute(year: t.year, month: month, day: 1, hour: 0, minute: 0)
            }
            if t.day > ProlepticGregorian.daysIn(month: t.month, year: t.year) || !e.dayMatches(t, dayMatch) {
                t = nextDay(t)
                continue
            }
            guard let hour = e.hours.next(atOrAfter: t.hour) else {
                t = nextDay(t)
                continue
            }
            if hour != t.hour {
                t.hour = hour
                t.minute = 0
            }
            guard let minute = e.minutes.next(atOrAfter: t.minute) else {
                if t.hour == 23 {
                    t = nextDay(t)
                } else {
                    t.hour += 1
                    t.minute = 0
                }
                continue
            }
            t.minute = minute
            return t
        }
        return nil
    }

    /// The last matching local minute at or before `start`.
    func searchBackward(from start: CivilMinute) -> CivilMinute? {
        let e = expression
        var t = start
        let firstYear = start.year - 400
        while t.year >= firstYear {
            guard let month = e.months.previous(atOrBefore: t.month) else {
                t = CivilMinute(year: t.year - 1, month: 12, day: 31, hour: 23, minute: 59)
                continue
            }
            if month != t.month {
                t = CivilMinute(
                    year: t.year, month: month, day: ProlepticGregorian.daysIn(month: month, year: t.year), hour: 23, minute: 59)
            }
            if t.day > ProlepticGregorian.daysIn(month: t.month, year: t.year) {
                t.day = ProlepticGregorian.daysIn(month: t.month, year: t.year)
                t.hour = 23
                t.minute = 59
            }
            if !e.dayMatches(t, dayMatch) {
                t = previousDay(t)
                continue
            }
            guard let hour = e.hours.previous(atOrBefore: t.hour) else {
                t = previousDay(t)
                continue
            }
            if hour != t.hour {
                t.hour = hour
                t.minute = 59
            }
            guard let minute = e.minutes.previous(atOrBefore: t.minute) else {
                if t.hour == 0 {
                    t = previousDay(t)
                } else {
                    t.hour -= 1
                    t.minute = 59
                }
                continue
            }
            t.minute = minute
            return t
        }
        return nil
    }

    private func nextDay(_ t: CivilMinute) -> CivilMinute {
        if t.day < ProlepticGregorian.daysIn(month: t.month, year: t.year) {
            return CivilMinute(year: t.year, month: t.month, day: t.day + 1, hour: 0, minute: 0)
        }
        if t.month < 12 { return CivilMinute(year: t.year, month: t.month + 1, day: 1, hour: 0, minute: 0) }
        return CivilMinute(year: t.year + 1, month: 1, day: 1, hour: 0, minute: 0)
    }

    private func previousDay(_ t: CivilMinute) -> CivilMinute {
        if t.day > 1 { return CivilMinute(year: t.year, month: t.month, day: t.day - 1, hour: 23, minute: 59) }
        if t.month > 1 {
            let month = t.month - 1
            return CivilMinute(
                year: t.year, month: month, day: ProlepticGregorian.daysIn(month: month, year: t.year), hour: 23, minute: 59)
        }
        return CivilMinute(year: t.year - 1, month: 12, day: 31, hour: 23, minute: 59)
    }
}

extension TimeZone {
    /// Offset at an epoch second.
    @inline(__always)
    func secondsFromGMT(for seconds: Int64) -> Int {
        secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }

    public static let utc = TimeZone(identifier: "UTC")!
}
