import EventLog
import Foundation

/// Times on the command line: the forms `ingest` accepts (`Timestamp(parsing:)`):
/// ISO-8601 with or without a zone (UTC), a date alone, or integer
/// microseconds since the epoch.
func parseTime(_ text: String) -> Date? {
    Timestamp(parsing: text)?.date
}

/// ISO-8601 in UTC with a `Z`, to the second: the CLI's output form for
/// times that are whole minutes (cron fires).
func formatISO(_ date: Date) -> String {
    Timestamp(Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))).iso8601
}
