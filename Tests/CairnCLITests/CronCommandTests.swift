import Foundation
import TestSupport
import Testing

/// Normalizes croniter's offset-carrying times to the CLI's UTC form.
private func utc(_ text: String) -> String {
    let parser = ISO8601DateFormatter()
    let printer = ISO8601DateFormatter()
    printer.formatOptions = [.withInternetDateTime]
    return printer.string(from: parser.date(from: text)!)
}

@Suite struct CronCommandTests {
    static let zoneCases = (try? CroniterCase.load("cron/croniter-tz-cases.json")) ?? []
    /// Every seventh UTC case keeps the process count modest; the library test runs them all.
    static let utcSample = ((try? CroniterCase.load("cron/croniter-cases.json")) ?? [])
        .enumerated().filter { $0.offset % 7 == 0 || $0.element.invalid == true || $0.element.error != nil }.map(\.element)

    @Test(arguments: zoneCases + utcSample)
    func cronNextMatchesCroniterFromTheCLI(_ c: CroniterCase) throws {
        let base = ["cron", "next", c.expr, "--from", c.start, "--tz", c.tz, "--json"]
        if c.invalid == true || c.error != nil {
            let result = try CLI.run(base)
            #expect(result.status == 1, "\(result.stdout)")
            #expect(!result.stderr.isEmpty)
            return
        }
        if let next = c.next {
            let result = try CLI.run(base + ["--count", "\(next.count)"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(try result.json() as? [String] == next.map(utc))
        }
        if let prev = c.prev {
            let result = try CLI.run(base + ["--count", "\(prev.count)", "--prev"])
            #expect(try result.json() as? [String] == prev.map(utc))
        }
    }

    @Test func invalidExpressionNamesTheField() throws {
        let result = try CLI.run(["cron", "next", "0 25 * * *", "--from", "2026-01-01T00:00:00Z"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("hour field"))
        #expect(result.stderr.contains("25"))
    }

    @Test func timesInTheFormsScriptsWrite() throws {
        for (from, expected) in [
            ("2026-01-01", "2026-01-01T00:15:00Z"), ("2026-01-01 06:30:00", "2026-01-01T06:45:00Z"),
            ("2026-01-01T06:30:00", "2026-01-01T06:45:00Z"), ("2026-01-01T06:30:00+02:00", "2026-01-01T04:45:00Z"),
            ("2026-01-01T06:30:00.5Z", "2026-01-01T06:45:00Z"), ("1767225600000000", "2026-01-01T00:15:00Z"),
        ] {
            let result = try CLI.run(["cron", "next", "*/15 * * * *", "--from", from, "--count", "1", "--json"])
            #expect(try result.json() as? [String] == [expected], "\(from)")
        }
        // A bad option value is a usage error (docs/cli.md), as a bad option is.
        #expect(try CLI.run(["cron", "next", "* * * * *", "--from", "someday"]).status == 2)
    }

    @Test func dayMatchAllFromTheCLI() throws {
        let result = try CLI.run([
            "cron", "next", "0 0 13 * FRI", "--from", "2026-01-01T00:00:00Z", "--count", "2", "--day-match", "all",
            "--json",
        ])
        #expect(try result.json() as? [String] == ["2026-02-13T00:00:00Z", "2026-03-13T00:00:00Z"])
    }
}
