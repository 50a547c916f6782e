/// Why a cron expression or zone was refused. Messages name the field and the
/// offending token so an author can fix the expression.
public enum CronError: Error, Equatable, Sendable, CustomStringConvertible {
    case empty
    case tooLong(bytes: Int, limit: Int)
    case wrongFieldCount(found: Int)
    case unknownMacro(String)
    case invalidToken(field: CronField, token: String, reason: String)
    case neverFires(expression: String)
    case unknownTimeZone(String)

    public var description: String {
        switch self {
        case .empty:
            return "cron expression is empty"
        case let .tooLong(bytes, limit):
            return "cron expression is \(bytes) bytes long; at most \(limit) are accepted"
        case .wrongFieldCount(let found):
            return "expected 5 fields (minute hour day-of-month month day-of-week), found \(found)"
        case .unknownMacro(let macro):
            return "unknown macro \(macro) (known: @yearly @annually @monthly @weekly @daily @midnight @hourly)"
        case let .invalidToken(field, token, reason):
            return "\(field.name) field: '\(token)': \(reason)"
        case .neverFires(let expression):
            return "'\(expression)' can never fire (no calendar date matches its day and month fields)"
        case .unknownTimeZone(let name):
            return "unknown time zone '\(name)' (use an IANA name such as Europe/London)"
        }
    }

    /// The field the error is about, when there is one.
    public var field: CronField? {
        if case .invalidToken(let field, _, _) = self { return field }
        return nil
    }
}

/// The five fields of a standard cron expression, in order.
public enum CronField: Int, CaseIterable, Sendable {
    case minute, hour, dayOfMonth, month, dayOfWeek

    public var name: String {
        switch self {
        case .minute: return "minute"
        case .hour: return "hour"
        case .dayOfMonth: return "day-of-month"
        case .month: return "month"
        case .dayOfWeek: return "day-of-week"
        }
    }

    /// The values the field may take (day-of-week 7 is read as 0, Sunday).
    public var bounds: ClosedRange<Int> {
        switch self {
        case .minute: return 0...59
        case .hour: return 0...23
        case .dayOfMonth: return 1...31
        case .month: return 1...12
        case .dayOfWeek: return 0...6
        }
    }
}
