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

    public var description: String { source }

    static let macros: [String: String] = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
        "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]

    static let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    static let dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    /// Parses `text`.
    /// - Throws: `CronError` naming the field and token that are wrong.
    public init(_ text: String) throws(CronError) {
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
        for field in CronField.allCases {
            let (set, star) = try Self.parseField(fields[field.rawValue], field)
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
        let domUnrestricted = bareStar[2] || (domFull && fields[4].contains("*"))
        let dowUnrestricted = bareStar[4] || (dowFull && fields[2].contains("*"))
        dayOfMonthRestricted = !domUnrestricted
        dayOfWeekRestricted = !dowUnrestricted
    }

    /// Whether some calendar date matches the day and month fields under `dayMatch`.
    /// Every (month, day) that exists falls on every weekday in some year, so
    /// only the day-of-month × month combination can make an expression dead.
    public func canFire(dayMatch: DayMatch = .any) -> Bool {
        if dayMatch == .any && dayOfMonthRestricted && dayOfWeekRestricted && !daysOfWeek.isEmpty {
            return true
        }
        for month in months.members {
            let longest = month == 2 ? 29 : CivilMinute.daysIn(month: month, year: 2001)
            if daysOfMonth.next(atOrAfter: 1).map({ $0 <= longest }) == true { return true }
        }
        return false
    }

    /// Whether the day (year, month, day) matches the day fields.
    @inline(__always)
    func dayMatches(_ t: CivilMinute, _ dayMatch: DayMatch) -> Bool {
        let dom = daysOfMonth.contains(t.day)
        let dow = daysOfWeek.contains(t.weekday)
        if dayMatch == .any && dayOfMonthRestricted && dayOfWeekRestricted { return dom || dow }
        return dom && dow
    }

    // MARK: Parsing

    private static func parseField(_ text: String, _ field: CronField) throws(CronError) -> (BitSet64, Bool) {
        var set = BitSet64()
        var star = false
        for element in text.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            guard !element.isEmpty else {
                throw .invalidToken(field: field, token: text, reason: "empty list element")
            }
            if element == "*" || (element == "?" && (field == .dayOfMonth || field == .dayOfWeek)) {
                star = true
                set.bits |= BitSet64(field.bounds).bits
                continue
            }
            for value in try expand(element, field) { set.insert(value) }
        }
        return (set, star)
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
    func trimmingASCIIWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
