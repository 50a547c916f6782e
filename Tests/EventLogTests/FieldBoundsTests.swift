import JSON
import Testing
import TestSupport

@testable import EventLog

/// Issue #17: nothing bounded timestamps, `mem` or `duration` where worker
/// events enter, so a nanosecond timestamp (2^60) was stored as given. The
/// worker protocol refuses values outside docs/events.md's bounds, naming
/// the field.
@Suite struct FieldBoundsTests {
    static func refusal(_ event: String, _ payload: String) -> EventLogError? {
        do {
            _ = try WorkerProtocol.submission(event: event, id: nil, payload: try JSONParser.parse(payload))
            return nil
        } catch let e as EventLogError { return e } catch { return .storage("\(error)") }
    }

    static let run = #""run_id":"r","workflow_id":"w""#
    static let step = #""run_id":"r","step_id":"s","job_id":"j","reason":"success""#

    @Test(arguments: [
        "1152921504606846976", "-1152921504606846976", "9223372036854775807", "-9223372036854775808",
        // One microsecond either side of [1900-01-01, 2200-01-01).
        "-2208988800000001", "7258118400000000",
        #""1152921504606846976""#, #""1899-12-31T23:59:59Z""#, #""2200-01-01T00:00:00Z""#, #""9999-01-01""#,
        // Years whose microseconds do not fit in 64 bits: the date must be
        // checked before it is converted, or the conversion traps.
        #""300000-01-01T00:00:00Z""#, #""-300000-01-01T00:00:00Z""#, #""99999999-12-31T23:59:59Z""#,
    ])
    func timestampsOutsideTheYears1900To2200AreRefused(_ timestamp: String) throws {
        for (event, payload) in [("run:created", Self.run), ("run:start", #""run_id":"r""#), ("step:complete", Self.step),
                                 ("run:log", #""run_id":"r","message":"m""#)] {
            let error = try #require(Self.refusal(event, "{\(payload),\"timestamp\":\(timestamp)}"), "\(event) \(timestamp)")
            #expect(error.field == "timestamp")
            #expect(error.message.contains("1900") && error.message.contains("2200"), "\(error)")
        }
    }

    @Test(arguments: ["-2208988800000000", "0", "1795500001000000", "7258117999999999", #""2026-11-24T06:00:00Z""#, #""1900-01-01""#])
    func timestampsInsideAreAccepted(_ timestamp: String) {
        #expect(Self.refusal("run:start", #"{"run_id":"r","timestamp":\#(timestamp)}"#) == nil)
    }

    @Test func memoryAndDurationAreBounded() throws {
        for (field, value) in [("mem", "-1"), ("mem", "1125899906842625"), ("mem", "9223372036854775807"),
                               ("duration", "-5"), ("duration", "31622400001"), ("duration", "1152921504606846976")] {
            let error = try #require(Self.refusal("step:complete", "{\(Self.step),\"\(field)\":\(value)}"), "\(field) \(value)")
            #expect(error.field == field, "\(error)")
        }
        // The worker's `{job, system}` form names the figure kept.
        let nested = try #require(Self.refusal("step:complete", #"{\#(Self.step),"mem":{"job":-1,"system":5}}"#))
        #expect(nested.field == "mem.job")
        for (field, value) in [("mem", "0"), ("mem", "1125899906842624"), ("duration", "0"), ("duration", "31622400000"),
                               ("mem", #"{"job":123456,"system":9}"#)] {
            #expect(Self.refusal("step:complete", "{\(Self.step),\"\(field)\":\(value)}") == nil, "\(field) \(value)")
        }
    }
}

/// Session 21's review: free text from workers had no bound. A claim copies
/// the worker's name into every run it claims (a megabyte name and
/// `demand` 100 wrote 100 MB), and a log line's cut counted characters, not
/// bytes, so one character carrying millions of combining marks passed whole.
@Suite struct FreeTextBoundsTests {
    static let long = String(repeating: "n", count: WorkerProtocol.labelBytes + 1)

    /// Names are cut, not refused: a line stored before the bound, sent
    /// again, must still be a duplicate, and a worker whose `error_type`
    /// carries an exception's text must still be able to finish its run.
    @Test func namesLongerThanTheLabelLimitAreCut() throws {
        let long = Self.long + "é"
        let cut = String(Self.long.prefix(WorkerProtocol.labelBytes))
        func decoded(_ event: String, _ payload: String) throws -> Command {
            try WorkerProtocol.submission(event: event, id: nil, payload: try JSONParser.parse(payload)).command
        }
        guard case .claimRun(_, let worker, _) = try decoded("run:claimed", #"{"run_id":"r","worker_name":"\#(long)"}"#),
              case .completeStep(let step) = try decoded(
                "step:complete", #"{"run_id":"r","step_id":"s","job_id":"j","reason":"fail","error_type":"\#(long)"}"#),
              case .completeRun(let run) = try decoded("run:complete", #"{"run_id":"r","reason":"fail","error_type":"\#(long)"}"#),
              case .log(let line, _) = try decoded("run:log", #"{"run_id":"r","message":"m","level":"\#(long)","source":"\#(long)"}"#)
        else {
            Issue.record("decoded to other commands")
            return
        }
        #expect(worker == cut)
        #expect(step.errorType == cut)
        #expect(run.errorType == cut)
        #expect(line.level == cut && line.source == cut)
    }

    /// A line the code before the bound stored, with a name over it, sent
    /// again with its id: a duplicate, as before.
    @Test func aStoredLineWithALongNameIsStillADuplicateWhenSentAgain() throws {
        let f = try LogFixture()
        try f.run("r", to: .available)
        let line = Array(#"{"event":"run:claimed","id":"22222222-2222-4222-8222-222222222222","payload":{"run_id":"r","worker_name":"\#(Self.long)"}}"#.utf8)
        var name: String?
        let first = try WorkerProtocol.decodeLine(line, name: &name)
        guard case .appended(let sequence) = try f.log.append([first])[0] else {
            Issue.record("not appended")
            return
        }
        #expect(try f.log.append([try WorkerProtocol.decodeLine(line, name: &name)])[0] == .duplicate(sequence: sequence))
    }

    @Test func proseIsCutToTheTextLimitInBytesAtAScalarBoundary() throws {
        // One character: a letter and two million combining acute accents (2 bytes each).
        let oneCharacter = "a" + String(repeating: "\u{0301}", count: 2_000_000)
        #expect(oneCharacter.count == 1)
        let submission = try WorkerProtocol.submission(
            event: "run:log", id: nil, payload: .object([("run_id", .string("r")), ("message", .string(oneCharacter))]))
        guard case .log(let logged, _) = submission.command else {
            Issue.record("\(submission.command)")
            return
        }
        let bytes = logged.message.utf8.count
        #expect(bytes <= WorkerProtocol.textBytes && bytes >= WorkerProtocol.textBytes - 4, "\(bytes) bytes")
        let isPrefix = oneCharacter.unicodeScalars.starts(with: logged.message.unicodeScalars)
        #expect(isPrefix)
        let failed = try WorkerProtocol.submission(
            event: "step:complete", id: nil,
            payload: .object([("run_id", .string("r")), ("step_id", .string("s")), ("job_id", .string("j")),
                              ("reason", .string("fail")), ("error_message", .string(oneCharacter))]))
        guard case .completeStep(let step) = failed.command else {
            Issue.record("\(failed.command)")
            return
        }
        let errorBytes = step.errorMessage?.utf8.count ?? 0
        #expect(errorBytes <= WorkerProtocol.textBytes, "\(errorBytes) bytes")
    }

    @Test func cuttingKeepsShortTextAndNeverSplitsAScalar() {
        #expect(WorkerProtocol.truncated("héllo", toBytes: 100) == "héllo")
        // "é" is two bytes: a cut inside it backs off before it.
        #expect(WorkerProtocol.truncated("héllo", toBytes: 2) == "h")
        #expect(WorkerProtocol.truncated("héllo", toBytes: 3) == "hé")
        #expect(WorkerProtocol.truncated("😀x", toBytes: 3) == "")
    }
}
