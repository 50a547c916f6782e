import EventLog
import Projections
import TestSupport
import Testing

/// Session 23's review: nothing bounded what one run holds, and its record
/// is written whole by each batch that touches it. A worker could grow one
/// run past 2 GiB (a trap) and past LMDB's 4 GiB value limit, after which
/// no catch-up could write it and every project's projections stopped.
@Suite struct RunLimitsTests {
    static func appended(_ outcomes: [AppendOutcome]) -> Bool {
        outcomes.allSatisfy { if case .appended = $0 { true } else { false } }
    }

    @Test func aRunTakesAtMostItsStepsAndCanStillFinish() throws {
        let f = try LogFixture()
        try f.run("r1")
        let starts = (0..<RunLimits.maxSteps).map {
            Submission(id: .random(), command: .startStep(StartStep(runId: "r1", stepId: "r1-s\($0)", jobId: "j1")))
        }
        #expect(Self.appended(try f.log.append(starts)))
        let over = try f.submit(.startStep(StartStep(runId: "r1", stepId: "r1-over", jobId: "j1")))
        #expect(over == .rejected(.invalidValue(
            field: "step_id", reason: "run r1 has \(RunLimits.maxSteps) steps; a run may have at most \(RunLimits.maxSteps)")))
        try f.accept("step:complete", #"{"run_id":"r1","step_id":"r1-s0","job_id":"j1","reason":"success"}"#)
        try f.accept("run:complete", #"{"run_id":"r1","reason":"success"}"#)
        #expect(try f.log.run("r1")?.steps.count == RunLimits.maxSteps)
        // Another run is not limited by this one.
        try f.run("r2")
        try f.accept("step:start", #"{"run_id":"r2","step_id":"r2-s0","job_id":"j1"}"#)
    }

    /// The budget's last bytes: a message is cut on a scalar's boundary (an
    /// "é" that does not fit whole is left out), what fits is kept, and
    /// once the budget is spent a step keeps no text. The log holds the cut
    /// text, so the projection's replay gives the same record.
    @Test func aRunsStepsKeepAtMostTheirErrorTextBudget() throws {
        let f = try LogFixture()
        try f.run("r1")
        let mebibyte = String(repeating: "x", count: 1 << 20)
        let full = RunLimits.stepErrorTextBytes / (1 << 20)
        var messages = Array(repeating: mebibyte, count: full - 1) + [String(mebibyte.dropLast())]
        messages += ["éa", "z", "more"]
        var submissions: [Submission] = []
        for (i, message) in messages.enumerated() {
            submissions.append(Submission(id: .random(), command: .startStep(StartStep(runId: "r1", stepId: "s\(i)", jobId: "j1"))))
            submissions.append(Submission(id: .random(), command: .completeStep(CompleteStep(
                runId: "r1", stepId: "s\(i)", jobId: "j1", reason: .fail, errorType: "Error", errorMessage: message))))
        }
        // Half in one batch, half in the next: the budget counts across batches and within one.
        let half = submissions.count / 2
        #expect(Self.appended(try f.log.append(Array(submissions[..<half]))))
        #expect(Self.appended(try f.log.append(Array(submissions[half...]))))

        let run = try #require(try f.log.run("r1"))
        #expect(run.steps.suffix(3).map(\.errorMessage) == ["", "z", ""])
        #expect(run.stepErrorTextBytes == RunLimits.stepErrorTextBytes)
        #expect(run.steps.prefix(full).allSatisfy { $0.errorMessage?.utf8.count ?? 0 >= (1 << 20) - 1 })

        let projections = try Projections(log: f.log)
        try projections.catchUp()
        #expect(try projections.run("r1")?.steps.map(\.errorMessage) == run.steps.map(\.errorMessage))
        try projections.engine.rebuild()
        #expect(try projections.engine.verify().isEmpty)
    }
}
