import EventLog
import Foundation

/// Times on the command line: the forms `ingest` accepts (`Timestamp(parsing:)`):
/// ISO-8601 with or without a zone (UTC), a date alone, or integer
/// microseconds since the epoch; from year 1 to 9999, so that the minute
/// arithmetic behind them (`schedule tick`'s minute, cron's search) stays
/// inside 64 bits. `nil` for anything else.
func parseTime(_ text: String) -> Date? {
    guard let time = Timestamp(parsing: text), commandLineTimes.contains(time.microseconds) else { return nil }
    return time.date
}

/// 0001-01-01T00:00:00Z up to, not including, 10000-01-01T00:00:00Z.
let commandLineTimes: Range<Int64> = -62_135_596_800_000_000..<253_402_300_800_000_000

/// ISO-8601 in UTC with a `Z`, to the second: the CLI's output form for
/// times that are whole minutes (cron fires).
func formatISO(_ date: Date) -> String {
    Timestamp(Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))).iso8601
}
