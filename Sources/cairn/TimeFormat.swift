import EventLog
import Foundation

/// Times on the command line: the forms `ingest` accepts (`Timestamp(parsing:)`):
/// ISO-8601 with or without a zone (UTC), a date alone, or integer
/// microseconds since the epoch.
func parseTime(_ text: String) -> Date? {
    Timestamp(parsing: text)?.date
}

/// ISO-8601 in UTC with a `Z`, the CLI's output form for times.
func formatISO(_ date: Date) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    return formatter.string(from: date)
}
