import Foundation

/// Times on the command line: ISO-8601 (`2026-01-01T00:00:00Z`, an offset, or
/// no zone meaning UTC; fractional seconds allowed) or integer microseconds
/// since the epoch, the same forms `ingest` accepts.
func parseTime(_ text: String) -> Date? {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    if let micros = Int64(trimmed) { return Date(timeIntervalSince1970: Double(micros) / 1_000_000) }
    for options: ISO8601DateFormatter.Options in [
        [.withInternetDateTime, .withFractionalSeconds], [.withInternetDateTime],
    ] {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = options
        if let date = formatter.date(from: trimmed) { return date }
        // No zone given: read as UTC.
        if let date = formatter.date(from: trimmed + "Z") { return date }
    }
    return nil
}

/// ISO-8601 in UTC with a `Z`, the CLI's output form for times.
func formatISO(_ date: Date) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    return formatter.string(from: date)
}
