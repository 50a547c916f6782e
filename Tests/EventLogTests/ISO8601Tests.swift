import Foundation
import JSON
import TestSupport
import Testing

@testable import EventLog

/// Times in and out (docs/events.md, "Times"). Foundation's ICU formatter
/// was the reader until session 16: it kept milliseconds of a fraction
/// (".123456" came back ".123") and read February 30 as March 1. It stays
/// here as the oracle where it is exact: whole seconds and milliseconds of
/// real dates, written with or without an offset.
@Suite struct ISO8601Tests {
    static func foundation(_ options: ISO8601DateFormatter.Options) -> ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = options
        return formatter
    }

    static func micros(_ text: String) -> Int64? {
        guard case .microseconds(let micros) = ISO8601.parse(text) else { return nil }
        return micros
    }

    /// Seeded times from 1900 to 2200, the range events may carry.
    static func randomSeconds(_ count: Int, seed: UInt64) -> [Int64] {
        var random = SplitMix64(seed: seed)
        let edges: [Int64] = [
            0, -1, 86_399, 86_400, -2_208_988_800, 7_258_118_399, 951_782_400 /* 2000-02-29 */, 4_107_542_400 /* 2100-02-28 */,
            -2_203_891_200 /* 1900-03-01 */,
        ]
        return edges + (0..<count).map { _ in Int64.random(in: -2_208_988_800..<7_258_118_400, using: &random) }
    }

    @Test func formattingWholeSecondsAgreesWithFoundation() {
        let oracle = Self.foundation([.withInternetDateTime])
        for seconds in Self.randomSeconds(5_000, seed: 16) {
            let expected = oracle.string(from: Date(timeIntervalSince1970: Double(seconds)))
            #expect(ISO8601.format(microseconds: seconds * 1_000_000) == expected, "\(seconds)")
        }
    }

    @Test func parsingAgreesWithFoundationOnSecondsAndMillisecondsWithAnyOffset() throws {
        let seconds = Self.foundation([.withInternetDateTime])
        let millis = Self.foundation([.withInternetDateTime, .withFractionalSeconds])
        var random = SplitMix64(seed: 61)
        for second in Self.randomSeconds(2_000, seed: 17) {
            let date = Date(timeIntervalSince1970: Double(second))
            var text = seconds.string(from: date)
            #expect(Self.micros(text) == second * 1_000_000, "\(text)")
            // The same instant written in another zone, three ways.
            let offset = Int.random(in: -14 * 60...14 * 60, using: &random)
            seconds.timeZone = TimeZone(secondsFromGMT: offset * 60)!
            text = seconds.string(from: date)
            seconds.timeZone = TimeZone(identifier: "UTC")!
            #expect(Self.micros(text) == second * 1_000_000, "\(text)")
            if text.last != "Z" {
                let compact = String(text.dropLast(3)) + String(text.suffix(2))  // +hh:mm -> +hhmm
                #expect(Self.micros(compact) == second * 1_000_000, "\(compact)")
            }
            let milli = Int64.random(in: 0..<1_000, using: &random)
            let withMillis = millis.string(from: Date(timeIntervalSince1970: Double(second) + Double(milli) / 1_000))
            #expect(Self.micros(withMillis) == second * 1_000_000 + milli * 1_000, "\(withMillis)")
            // Foundation's own reading goes through a Double: within a microsecond.
            let parsed = try #require(millis.date(from: withMillis))
            #expect(abs(Timestamp(parsed).microseconds - (second * 1_000_000 + milli * 1_000)) <= 1, "\(withMillis)")
        }
    }

    @Test func microsecondsRoundTrip() {
        var random = SplitMix64(seed: 18)
        for _ in 0..<5_000 {
            let micros = Int64.random(in: Timestamp.accepted, using: &random)
            let text = ISO8601.format(microseconds: micros)
            #expect(Self.micros(text) == micros, "\(text)")
            #expect(Timestamp(parsing: text)?.microseconds == micros, "\(text)")
        }
        // Beyond the years events may carry, every 64-bit value reads back.
        for _ in 0..<5_000 {
            let micros = Int64.random(in: .min ... .max, using: &random)
            #expect(Self.micros(ISO8601.format(microseconds: micros)) == micros, "\(micros)")
        }
    }

    @Test func aWorkersMicrosecondsAreKept() throws {
        // Foundation gave 1_704_067_200_123_000 for the first.
        #expect(Self.micros("2024-01-01T00:00:00.123456Z") == 1_704_067_200_123_456)
        #expect(Self.micros("2024-01-01T00:00:00.000001Z") == 1_704_067_200_000_001)
        #expect(Self.micros("1969-12-31T23:59:59.999999Z") == -1)
        #expect(ISO8601.format(microseconds: -1) == "1969-12-31T23:59:59.999999Z")
        #expect(ISO8601.format(microseconds: 1_704_067_200_000_010) == "2024-01-01T00:00:00.000010Z")
        // Past six digits, the seventh rounds half up, carrying into the second.
        #expect(Self.micros("2024-01-01T00:00:00.1234565Z") == 1_704_067_200_123_457)
        #expect(Self.micros("2024-01-01T00:00:00.1234564999Z") == 1_704_067_200_123_456)
        #expect(Self.micros("2024-01-01T00:00:59.9999995Z") == 1_704_067_260_000_000)
        #expect(Self.micros("2024-01-01T00:00:00,5Z") == 1_704_067_200_500_000)

        let submission = try WorkerProtocol.submission(
            event: "run:start", id: nil,
            payload: try JSONParser.parse(#"{"run_id":"r","timestamp":"2026-11-24T06:00:00.654321+01:00"}"#))
        guard case .startRun(_, let timestamp) = submission.command else {
            Issue.record("not a run start: \(submission.command)")
            return
        }
        #expect(timestamp?.microseconds == 1_795_496_400_654_321)
        #expect(timestamp?.iso8601 == "2026-11-24T05:00:00.654321Z")
    }

    @Test func theFormsWithoutAZoneOrATimeAreUTC() {
        let midnight: Int64 = 1_795_478_400_000_000  // 2026-11-24T00:00:00Z
        for text in ["2026-11-24", "2026-11-24T00:00:00", "2026-11-24 00:00:00", "2026-11-24T00:00", "2026-11-24t00:00:00z",
                     "2026-11-24T00:00:00-00:00", "2026-11-24T01:00+01", "+2026-11-24"] {
            #expect(Self.micros(text) == midnight, "\(text)")
        }
    }

    @Test(arguments: [
        "2023-02-29", "1900-02-29T00:00:00Z", "2026-02-30T00:00:00Z", "2026-04-31", "2026-13-01", "2026-00-10", "2026-01-00",
        "2026-01-01T24:00:00Z", "2026-01-01T23:60:00Z", "2026-01-01T23:59:60Z", "2026-01-01T00:00:00+24:00",
        "2026-01-01T00:00:00+01:60", "2026-1-1T00:00:00Z", "26-01-01", "2026-01-01T00:00:00GMT", "2026-01-01T00:00:00.Z",
        "2026-01-01T00:00.5Z", "2026-01-01T0:00:00Z", "2026-01-01T00:00:00+1", "2026-01-01T00:00:00+01:0", "2026-01-01T",
        "2026-01-01X00:00:00Z", "", "-", "T00:00:00Z", "2026-01-01T00:00:00Z ", "1234567890-01-01", "2026-01-01T00:00:00ZZ",
    ])
    func malformedOrImpossibleTimesAreRefused(_ text: String) {
        #expect(ISO8601.parse(text) == nil, "\(text)")
    }

    @Test func expandedYearsParseAndThoseBeyondSixtyFourBitsSaySo() {
        #expect(ISO8601.parse("300000-01-01T00:00:00Z") == .beyondRange)
        #expect(ISO8601.parse("-300000-01-01T00:00:00Z") == .beyondRange)
        #expect(ISO8601.parse("999999999-12-31") == .beyondRange)
        #expect(Self.micros("02026-11-24") == 1_795_478_400_000_000)
        #expect(Self.micros("10000-01-01") == 253_402_300_800_000_000)
        #expect(ISO8601.format(microseconds: 253_402_300_800_000_000) == "10000-01-01T00:00:00Z")
        #expect(Self.micros("0000-03-01") == -62_162_035_200_000_000)
        #expect(ISO8601.format(microseconds: -62_162_035_200_000_000) == "0000-03-01T00:00:00Z")
        #expect(ISO8601.format(microseconds: -62_162_035_200_000_001) == "0000-02-29T23:59:59.999999Z")
        // The extremes (a saturated `Timestamp`) print without trapping.
        #expect(ISO8601.format(microseconds: .max) == "294247-01-10T04:00:54.775807Z")
        #expect(Self.micros(ISO8601.format(microseconds: .max)) == .max)
        #expect(ISO8601.format(microseconds: .min) == "-290308-12-21T19:59:05.224192Z")
        #expect(Self.micros(ISO8601.format(microseconds: .min)) == .min)
        #expect(ISO8601.parse("-290308-12-21T19:59:05.224191Z") == .beyondRange)
        #expect(ISO8601.parse("294247-01-10T04:00:54.775808Z") == .beyondRange)
    }
}
