/// A parsed standard 5-field cron expression.
///
/// ```swift
/// let every15 = try CronExpression("*/15 9-17 * * MON-FRI")
/// let schedule = CronSchedule(every15, timeZone: .utc)
/// let next = schedule.next(after: now)
/// ```
///
/// The dialect is croniter's (the reference library): `*`, `a-b`, `*/n`,
/// `a-b/n`, `a/n` (from a to the end), lists, month and day names in any
/// case, `7` as Sunday, `?` as `*` in the day fields, and the macros
/// `@yearly @annually @monthly @weekly @daily @midnight @hourly`. Ranges may
/// wrap (`FRI-MON`, `22-2`); a range written with equal ends (`5-5`) means the
/// whole field, as croniter reads it. When both day fields are restricted a
/// day matches if either matches (`DayMatch.any`) unless the schedule asks
/// for both (`DayMatch.all`).
///
/// Also croniter's day extensions: `L` in day-of-month is the month's last
/// day (in a list, or as a range's end: `15-L`), `15W` the weekday nearest
/// the 15th (alone in its field); in day-of-week `FRI#2` (or `5#2`) is the
/// month's second Friday, `L5` its last Friday. Nth weekdays cannot share a
/// field with plain days. As croniter reads them, nth and nearest weekdays
/// keep their rule on both sides of the OR when both day fields are
/// restricted, and a side that can never match makes the expression never
/// fire (see `DayRules`); under `all`, the dates that are both.
public struct CronExpression: Hashable, Sendable, CustomStringConvertible {
    /// The text it was parsed from.
    public let source: String
    let minutes: BitSet64
    let hours: BitSet64
    let daysOfMonth: BitSet64
    let months: BitSet64
    let daysOfWeek: BitSet64
    /// Whether the day fields count as restricted for the OR rule (croniter's reading).
    let dayOfMonthRestricted: Bool
    let dayOfWeekRestricted: Bool
    /// The day fields with croniter's extensions (`L`, `15W`, `5#2`, `L5`),
    /// built once at parse; `nil` when the expression uses none.
    let dayRules: DayRules?
    /// Whether some date matches, under each `DayMatch` (worked out once for
    /// the day extensions, which a bit set cannot answer).
    private let firesUnderAny: Bool
    private let firesUnderAll: Bool

    /// The `occurrence`th `weekday` of a month (1...5), or its last (0).
    struct NthWeekday: Hashable, Sendable {
        let weekday: Int
        let occurrence: Int

        func matches(_ d: Day) -> Bool {
            guard d.weekday == weekday else { return false }
            if occurrence == 0 { return d.day + 7 > d.monthLength }
            return (d.day - 1) / 7 + 1 == occurrence
        }
    }

    /// What the day fields look at: the day of the month, its weekday and
    /// how long its month is.
    struct Day {
        let day: Int
        let weekday: Int
        let monthLength: Int

        init(_ t: CivilMinute) {
            day = t.day
            weekday = t.weekday
            monthLength = ProlepticGregorian.daysIn(month: t.month, year: t.year)
        }

        init(day: Int, weekday: Int, monthLength: Int) {
            (self.day, self.weekday, self.monthLength) = (day, weekday, monthLength)
        }
    }

    public var description: String { source }

    static let macros: [String: String] = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
        "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]

    static let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    static let dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    /// The longest text parsed, in UTF-8 bytes. Every value of every field
    /// listed, with names, takes under 400; an expression is parsed again
    /// inside the store's write transaction (the cron index), so a
    /// megabytes-long one held every project's writes (session 25's review).
    public static let maxLength = 4_096

    /// Parses `text`.
    /// - Throws: `CronError` naming the field and token that are wrong.
    public init(_ text: String) throws(CronError) {
        guard text.utf8.count <= Self.maxLength else { throw .tooLong(bytes: text.utf8.count, limit: Self.maxLength) }
        source = text
        var body = text.trimmingASCIIWhitespace().lowercased()
        if body.isEmpty { throw .empty }
        if body.hasPrefix("@") {
            guard let expanded = Self.macros[body] else { throw .unknownMacro(text.trimmingASCIIWhitespace()) }
            body = expanded
        }
        let fields = body.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }).map(String.init)
        guard fields.count == 5 else { throw .wrongFieldCount(found: fields.count) }

        var sets: [BitSet64] = []
        var bareStar: [Bool] = []
        var days = DayExtensions()
        for field in CronField.allCases {
            let (set, star) = try Self.parseField(fields[field.rawValue], field, &days)
            sets.append(set)
            bareStar.append(star)
        }
        minutes = sets[0]
        hours = sets[1]
        daysOfMonth = sets[2]
        months = sets[3]
        daysOfWeek = sets[4]
        // croniter treats a day field as unrestricted when it is `*` (or `?`),
        // or when it lists every value and the other day field contains a `*`.
        let domFull = daysOfMonth.count == 31
        let dowFull = daysOfWeek.count == 7
        let domUnrestricted = !days.lastDayOfMonth && days.nearestWeekday == nil
            && (bareStar[2] || (domFull && fields[4].contains("*")))
        let dowUnrestricted = days.nthWeekdays.isEmpty && (bareStar[4] || (dowFull && fields[2].contains("*")))
        dayOfMonthRestricted = !domUnrestricted
        dayOfWeekRestricted = !dowUnrestricted
        if days.any {
            // What the day fields see of a month is its length and the
            // weekday of its 1st, and every allowed month has each first
            // weekday in some year: trying those few months answers.
            var lengths: Set<Int> = []
            for month in months.members {
                if month == 2 { lengths.formUnion([28, 29]) } else { lengths.insert(ProlepticGregorian.daysIn(month: month, year: 2001)) }
            }
            let rules = DayRules(
                daysOfMonth: daysOfMonth, daysOfWeek: daysOfWeek, extensions: days,
                dayOfMonthRestricted: dayOfMonthRestricted, dayOfWeekRestricted: dayOfWeekRestricted)
            dayRules = rules
            var any = false, all = false, firstSide = false, secondSide = false
            for length in lengths {
                for first in 0..<7 {
                    for day in 1...length {
                        let d = Day(day: day, weekday: (first + day - 1) % 7, monthLength: length)
                        any = any || rules.matches(d, .any)
                        all = all || rules.matches(d, .all)
                        let (dayOfMonthSide, dayOfWeekSide) = rules.sides(d)
                        firstSide = firstSide || dayOfMonthSide
                        secondSide = secondSide || dayOfWeekSide
                    }
                }
            }
            // croniter: when its OR splits an expression with nth weekdays or
            // a nearest weekday, each side keeps those rules, and a side that
            // can never match makes the whole expression fail.
            firesUnderAny = rules.splitsWithExtensions ? firstSide && secondSide : any
            firesUnderAll = all
        } else {
            dayRules = nil
            firesUnderAny = Self.plainCanFire(.any, daysOfMonth, daysOfWeek, months, dayOfMonthRestricted, dayOfWeekRestricted)
            firesUnderAll = Self.plainCanFire(.all, daysOfMonth, daysOfWeek, months, dayOfMonthRestricted, dayOfWeekRestricted)
        }
    }

    /// Whether some calendar date matches the day and month fields under `dayMatch`.
    public func canFire(dayMatch: DayMatch = .any) -> Bool { dayMatch == .any ? firesUnderAny : firesUnderAll }

    /// Every (month, day) that exists falls on every weekday in some year, so
    /// without the day extensions only the day-of-month × month combination
    /// can make an expression dead.
    private static func plainCanFire(
        _ dayMatch: DayMatch, _ daysOfMonth: BitSet64, _ daysOfWeek: BitSet64, _ months: BitSet64,
        _ domRestricted: Bool, _ dowRestricted: Bool
    ) -> Bool {
        if dayMatch == .any && domRestricted && dowRestricted && !daysOfWeek.isEmpty { return true }
        for month in months.members {
            let longest = month == 2 ? 29 : ProlepticGregorian.daysIn(month: month, year: 2001)
            if daysOfMonth.next(atOrAfter: 1).map({ $0 <= longest }) == true { return true }
        }
        return false
    }

    /// Whether the day (year, month, day) matches the day fields.
    @inline(__always)
    func dayMatches(_ t: CivilMinute, _ dayMatch: DayMatch) -> Bool {
        if let dayRules { return dayRules.matches(Day(t), dayMatch) }
        let dom = daysOfMonth.contains(t.day)
        let dow = daysOfWeek.contains(t.weekday)
        if dayMatch == .any && dayOfMonthRestricted && dayOfWeekRestricted { return dom || dow }
        return dom && dow
    }

    /// What the day fields hold beyond a set of values.
    struct DayExtensions: Hashable, Sendable {
        var lastDayOfMonth = false
        var nthWeekdays: [NthWeekday] = []
        var nearestWeekday: Int?

        var any: Bool { lastDayOfMonth || !nthWeekdays.isEmpty || nearestWeekday != nil }
    }

    /// The two day fields with the extensions, as croniter combines them.
    struct DayRules: Hashable, Sendable {
        let daysOfMonth: BitSet64
        let daysOfWeek: BitSet64
        let extensions: DayExtensions
        let dayOfMonthRestricted: Bool
        let dayOfWeekRestricted: Bool

        /// Under the OR reading, croniter splits the expression into a
        /// day-of-month side and a day-of-week side; nth weekdays and a
        /// nearest weekday stay on both sides.
        var splitsWithExtensions: Bool {
            dayOfMonthRestricted && dayOfWeekRestricted
                && (!extensions.nthWeekdays.isEmpty || extensions.nearestWeekday != nil)
        }

        func dayOfMonth(_ d: Day) -> Bool {
            if let target = extensions.nearestWeekday { return d.day == Self.nearestWeekday(to: target, in: d) }
            return daysOfMonth.contains(d.day) || (extensions.lastDayOfMonth && d.day == d.monthLength)
        }

        func dayOfWeek(_ d: Day) -> Bool {
            extensions.nthWeekdays.isEmpty ? daysOfWeek.contains(d.weekday) : extensions.nthWeekdays.contains { $0.matches(d) }
        }

        /// croniter's two sides: (day-of-month, and any nth weekday rule),
        /// (any nearest-weekday rule, and day-of-week).
        func sides(_ d: Day) -> (first: Bool, second: Bool) {
            let nth = extensions.nthWeekdays.isEmpty || dayOfWeek(d)
            let nearest = extensions.nearestWeekday == nil || dayOfMonth(d)
            return (dayOfMonth(d) && nth, nearest && dayOfWeek(d))
        }

        func matches(_ d: Day, _ dayMatch: DayMatch) -> Bool {
            if dayMatch == .any && dayOfMonthRestricted && dayOfWeekRestricted {
                if splitsWithExtensions {
                    let (first, second) = sides(d)
                    return first || second
                }
                return dayOfMonth(d) || dayOfWeek(d)
            }
            return (!dayOfMonthRestricted || dayOfMonth(d)) && (!dayOfWeekRestricted || dayOfWeek(d))
        }

        /// The weekday nearest `target` in `d`'s month (croniter's rule: a
        /// Saturday moves to the Friday before, a Sunday to the Monday
        /// after, neither leaving the month; past the month's end, its end).
        static func nearestWeekday(to target: Int, in d: Day) -> Int {
            let day = min(target, d.monthLength)
            let weekday = ((d.weekday + day - d.day) % 7 + 7) % 7
            switch weekday {
            case 6: return day > 1 ? day - 1 : day + 2
            case 0: return day < d.monthLength ? day + 1 : day - 2
            default: return day
            }
        }
    }

    // MARK: Parsing

    private static func parseField(
        _ text: String, _ field: CronField, _ days: inout DayExtensions
    ) throws(CronError) -> (BitSet64, Bool) {
        var set = BitSet64()
        var star = false
        var plainDays = false
        for element in text.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            guard !element.isEmpty else {
                throw .invalidToken(field: field, token: text, reason: "empty list element")
            }
            if element == "*" || (element == "?" && (field == .dayOfMonth || field == .dayOfWeek)) {
                star = true
                plainDays = true
                set.bits |= BitSet64(field.bounds).bits
                continue
            }
            if field == .dayOfMonth && element == "l" {
                days.lastDayOfMonth = true
                continue
            }
            if field == .dayOfMonth, let target = try nearestWeekday(element) {
                guard !text.contains(",") else {
                    throw .invalidToken(field: field, token: text, reason: "W takes a single day, not a list")
                }
                days.nearestWeekday = target
                continue
            }
            if field == .dayOfWeek, let nth = try nthWeekdays(element) {
                // Each rule once: at most 42, however often the list repeats
                // them (every day is checked against them all).
                for rule in nth where !days.nthWeekdays.contains(rule) { days.nthWeekdays.append(rule) }
                continue
            }
            plainDays = true
            for value in try expand(field == .dayOfMonth ? lastAsRangeEnd(element) : element, field) { set.insert(value) }
        }
        if field == .dayOfWeek && plainDays && !days.nthWeekdays.isEmpty {
            throw .invalidToken(field: field, token: text, reason: "nth weekdays (5#2, L5) cannot be listed with plain days")
        }
        return (set, star)
    }

    /// `a-L` in day-of-month: a range to the 31st (a month without one stops
    /// at its last day), as croniter reads it.
    private static func lastAsRangeEnd(_ element: String) -> String {
        guard element.hasSuffix("-l") || element.contains("-l/") else { return element }
        return element.replacingFirst("-l", with: "-31")
    }

    /// `15W` or `W15`: the weekday nearest a day (1-31); `nil` for anything else.
    private static func nearestWeekday(_ element: String) throws(CronError) -> Int? {
        guard element.count > 1, element.hasSuffix("w") || element.hasPrefix("w") else { return nil }
        let digits = element.hasSuffix("w") ? element.dropLast() : element.dropFirst()
        guard digits.allSatisfy(\.isASCIIDigit), let day = Int(digits), (1...31).contains(day) else {
            throw .invalidToken(field: .dayOfMonth, token: element, reason: "W takes a day 1-31 (15W: the weekday nearest the 15th)")
        }
        return day
    }

    /// `w#k` (a weekday, or a range of them, and an occurrence 1-5) or `Lw`
    /// (a weekday number); `nil` when `element` is neither.
    private static func nthWeekdays(_ element: String) throws(CronError) -> [NthWeekday]? {
        func fail(_ reason: String) -> CronError { .invalidToken(field: .dayOfWeek, token: element, reason: reason) }
        if let hash = element.firstIndex(of: "#") {
            let occurrenceText = String(element[element.index(after: hash)...])
            guard let occurrence = Int(occurrenceText), occurrenceText.allSatisfy(\.isASCIIDigit), (1...5).contains(occurrence)
            else { throw fail("the occurrence after # must be 1 to 5") }
            let weekdays = String(element[..<hash])
            guard !weekdays.isEmpty, !weekdays.contains("/") else { throw fail("a weekday must come before #") }
            return try expand(weekdays, .dayOfWeek).map { NthWeekday(weekday: $0, occurrence: occurrence) }
        }
        if element.hasPrefix("l"), element.count > 1 {
            let digits = element.dropFirst()
            guard digits.allSatisfy(\.isASCIIDigit), let weekday = Int(digits), (0...7).contains(weekday) else {
                throw fail("L must be followed by a weekday number 0-7 (L5: the last Friday)")
            }
            return [NthWeekday(weekday: weekday % 7, occurrence: 0)]
        }
        return nil
    }

    private static func expand(_ element: String, _ field: CronField) throws(CronError) -> [Int] {
        let bounds = field.bounds
        func fail(_ reason: String) -> CronError { .invalidToken(field: field, token: element, reason: reason) }

        var rangePart = element
        var step = 1
        var startWithStep = false
        if let slash = element.firstIndex(of: "/") {
            rangePart = String(element[..<slash])
            let stepText = String(element[element.index(after: slash)...])
            guard let parsed = Int(stepText), stepText.allSatisfy(\.isASCIIDigit) else {
                throw fail("step '\(stepText)' is not a number")
            }
            guard parsed > 0 else { throw fail("step must be at least 1") }
            guard parsed <= 1_000 else { throw fail("step \(parsed) is too large") }
            step = parsed
            if rangePart == "*" {
                rangePart = "\(bounds.lowerBound)-\(bounds.upperBound)"
            } else if !rangePart.contains("-") {
                startWithStep = true  // "a/n" is "a-max/n"
            }
        }

        let pieces = rangePart.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        switch pieces.count {
        case 1 where !startWithStep:
            return [try value(pieces[0], field, element)]
        case 1:
            let low = try value(pieces[0], field, element)
            // "max/n" is just max (croniter #246), not the whole cycle.
            if low == bounds.upperBound { return [low] }
            return Array(stride(from: low, through: bounds.upperBound, by: step))
        case 2:
            var low = try value(pieces[0], field, element)
            var high = try value(pieces[1], field, element)
            if low == high {
                // croniter reads an equal range as written ("5-5", "Sun-Sun") as the whole cycle.
                low = bounds.lowerBound
                high = bounds.upperBound
            }
            if low <= high { return Array(stride(from: low, through: high, by: step)) }
            // A range that wraps past the end of the field ("FRI-MON", "22-2").
            var values = Array(stride(from: low, through: bounds.upperBound, by: step))
            var skip = 0
            if let last = values.last, last + step > bounds.upperBound + 1 {
                // Keep croniter's phase across the wrap.
                skip = step - (bounds.upperBound - last)
            }
            if bounds.lowerBound + skip <= high {
                values += Array(stride(from: bounds.lowerBound + skip, through: high, by: step))
            }
            return values
        default:
            throw fail("malformed range")
        }
    }

    private static func value(_ token: String, _ field: CronField, _ element: String) throws(CronError) -> Int {
        func fail(_ reason: String) -> CronError { .invalidToken(field: field, token: element, reason: reason) }
        guard !token.isEmpty else { throw fail("missing value") }
        var number: Int
        if token.allSatisfy(\.isASCIIDigit) {
            guard token.count <= 4, let parsed = Int(token) else { throw fail("value \(token) out of range") }
            number = parsed
        } else if field == .month, let index = monthNames.firstIndex(of: token) {
            number = index + 1
        } else if field == .dayOfWeek, let index = dayNames.firstIndex(of: token) {
            number = index
        } else {
            throw fail("'\(token)' is not a \(field == .month ? "month" : field == .dayOfWeek ? "day" : "number")")
        }
        if field == .dayOfWeek && number == 7 { number = 0 }
        guard field.bounds.contains(number) else {
            throw fail("\(number) is outside \(field.bounds.lowerBound)-\(field.bounds.upperBound)")
        }
        return number
    }
}

/// How the two day fields combine when both are restricted.
public enum DayMatch: String, Sendable, Codable, CaseIterable {
    /// Either field matching is enough (POSIX/Vixie cron, croniter, Kubernetes). The default.
    case any
    /// Both fields must match (the reference platform's scheduler, for imported workflows).
    case all
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = range(of: target) else { return self }
        return replacingCharacters(in: range, with: replacement)
    }

    func trimmingASCIIWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
