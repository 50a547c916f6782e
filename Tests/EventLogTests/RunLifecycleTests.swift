import Foundation
import TestSupport
import JSON
import Testing

@testable import EventLog

@Suite struct RunLifecycleTests {
    /// Every (state, event) pair: allowed exactly when §4.2 allows it, and a
    /// refused event changes nothing.
    @Test(arguments: [RunState.available, .claimed, .started, .success, .failed, .lost, .cancelled])
    func transitionsFollowTheStateMachine(_ from: RunState) throws {
        let moves: [(String, RunState)] = [
            ("claim", .claimed), ("start", .started), ("complete-success", .success), ("complete-fail", .failed),
            ("lost", .lost), ("cancel", .cancelled), ("complete-cancel", .cancelled),
        ]
        for (move, target) in moves {
            let f = try LogFixture()
            try drive(f, "r", to: from)
            let before = try f.log.stream("run:r").count
            let command: Command
            switch move {
            case "claim": command = .claimRun(runId: "r", workerName: nil, timestamp: nil)
            case "start": command = .startRun(runId: "r", timestamp: nil)
            case "complete-success": command = .completeRun(CompleteRun(runId: "r", state: .success))
            case "complete-fail": command = .completeRun(CompleteRun(runId: "r", state: .failed))
            case "complete-cancel": command = .completeRun(CompleteRun(runId: "r", state: .cancelled))
            case "lost": command = .markLost(runId: "r", timestamp: nil)
            default: command = .cancelRun(runId: "r", timestamp: nil)
            }
            var allowed = from.canMove(to: target)
            // run:complete is a worker's report: it needs a started run (or reports it lost).
            if move.hasPrefix("complete") && from != .started { allowed = false }
            // run:cancelled is for runs no worker has claimed.
            if move == "cancel" { allowed = from == .available }
            let outcome = try f.submit(command)
            if allowed {
                guard case .appended = outcome else {
                    Issue.record("\(move) from \(from) should be allowed, got \(outcome)")
                    continue
                }
                #expect(try f.log.run("r")?.state == target)
            } else {
                guard case .rejected(.illegalTransition(_, let state, _)) = outcome else {
                    Issue.record("\(move) from \(from) should be refused, got \(outcome)")
                    continue
                }
                #expect(state == from)
                #expect(try f.log.stream("run:r").count == before)
                #expect(try f.log.run("r")?.state == from)
            }
        }
    }

    func drive(_ f: LogFixture, _ run: String, to state: RunState) throws {
        switch state {
        case .available, .claimed, .started: try f.run(run, to: state)
        case .lost:
            try f.run(run, to: .available)
            try f.expectAppended(.markLost(runId: run, timestamp: nil))
        case .cancelled:
            try f.run(run, to: .available)
            try f.expectAppended(.cancelRun(runId: run, timestamp: nil))
        default:
            try f.run(run, to: .started)
            try f.expectAppended(.completeRun(CompleteRun(runId: run, state: state)))
        }
    }

    @Test func workerReasonsMapToStates() {
        let table: [(String, RunState)] = [
            ("success", .success), ("fail", .failed), ("crash", .crashed), ("cancel", .cancelled), ("kill", .killed),
            ("exception", .exception), ("lost", .lost),
        ]
        for (reason, state) in table { #expect(RunState(reason: reason) == state) }
        #expect(RunState(reason: "teleported") == nil)
    }

    @Test func unknownRunAndStartBeforeClaim() throws {
        let f = try LogFixture()
        #expect(try f.worker("run:start", #"{"run_id": "nope"}"#) == .rejected(.unknownRun("nope")))
        try f.run("r", to: .available)
        let outcome = try f.worker("run:start", #"{"run_id": "r"}"#)
        #expect(outcome == .rejected(.illegalTransition(runId: "r", from: .available, event: "run:start")))
        #expect(try f.log.run("r")?.state == .available)
    }

    @Test func stepRules() throws {
        let f = try LogFixture()
        try f.run("r")
        // Unknown job of the snapshot.
        #expect(try f.worker("step:start", #"{"run_id":"r","step_id":"s1","job_id":"jX"}"#)
            == .rejected(.unknownJob("jX", workflowId: "w1", lockVersion: 1)))
        #expect(try f.worker("step:complete", #"{"run_id":"r","step_id":"s1","job_id":"j1","reason":"success"}"#)
            == .rejected(.stepNotStarted("s1")))
        guard case .appended = try f.worker("step:start", #"{"run_id":"r","step_id":"s1","job_id":"j1"}"#) else {
            Issue.record("step:start refused")
            return
        }
        #expect(try f.worker("step:start", #"{"run_id":"r","step_id":"s1","job_id":"j1"}"#) == .rejected(.stepExists("s1")))
        // Output given alone.
        #expect(try f.worker("step:complete", #"{"run_id":"r","step_id":"s1","job_id":"j1","reason":"success","output_dataclip_id":"o1"}"#)
            == .rejected(.outputPairIncomplete(missing: "output_dataclip")))
        #expect(try f.worker("step:complete", #"{"run_id":"r","step_id":"s1","job_id":"j1","reason":"success","output_dataclip":"{}"}"#)
            == .rejected(.outputPairIncomplete(missing: "output_dataclip_id")))
        // Bad JSON in the output is refused when the line is read.
        #expect(throws: EventLogError.self) {
            try f.worker(
                "step:complete",
                #"{"run_id":"r","step_id":"s1","job_id":"j1","reason":"success","output_dataclip_id":"o1","output_dataclip":"{nope"}"#)
        }
        // Wrong job for the step.
        #expect(try f.worker("step:complete", #"{"run_id":"r","step_id":"s1","job_id":"j2","reason":"success"}"#)
            == .rejected(.stepJobMismatch(stepId: "s1", started: "j1", given: "j2")))
        guard case .appended = try f.worker(
            "step:complete", #"{"run_id":"r","step_id":"s1","job_id":"j1","reason":"success","output_dataclip_id":"o1","output_dataclip":"{\"a\":1}"}"#)
        else {
            Issue.record("step:complete refused")
            return
        }
        #expect(try f.worker("step:complete", #"{"run_id":"r","step_id":"s1","job_id":"j1","reason":"fail"}"#)
            == .rejected(.stepAlreadyCompleted("s1")))
        #expect(try f.log.dataclip("o1")?.body == Array(#"{"a":1}"#.utf8))
        #expect(try f.log.run("r")?.step("s1")?.outputDataclipId == "o1")
    }

    @Test func finalDataclipRules() throws {
        let f = try LogFixture()
        try f.run("r1")
        #expect(try f.worker("run:complete", #"{"run_id":"r1","reason":"success","final_dataclip_id":"missing"}"#)
            == .rejected(.dataclipNotFound(field: "final_dataclip_id", id: "missing")))
        #expect(EventLogError.dataclipNotFound(field: "final_dataclip_id", id: "x").message == "final_dataclip_id does not exist")

        // Both given: the id wins, nothing is copied.
        try f.accept("step:start", #"{"run_id":"r1","step_id":"s1","job_id":"j1"}"#)
        try f.accept("step:complete", #"{"run_id":"r1","step_id":"s1","job_id":"j1","reason":"success","output_dataclip_id":"o1","output_dataclip":"{\"x\":1}"}"#)
        let dataclipsBefore = try f.environment.read { txn in try txn.statistics(try f.environment.database("dataclips")).entries }
        try f.accept("run:complete", #"{"run_id":"r1","reason":"success","final_dataclip_id":"o1","final_state":{"j1":{"x":1}}}"#)
        let dataclipsAfter = try f.environment.read { txn in try txn.statistics(try f.environment.database("dataclips")).entries }
        #expect(dataclipsAfter == dataclipsBefore)
        #expect(try f.log.run("r1")?.finalDataclipId == "o1")

        // final_state alone: a new step_result dataclip holding it.
        try f.run("r2")
        try f.accept("run:complete", #"{"run_id":"r2","reason":"success","final_state":{"j1":{"x":1},"j2":{"y":2}}}"#)
        let finalId = try #require(try f.log.run("r2")?.finalDataclipId)
        let clip = try #require(try f.log.dataclip(finalId))
        #expect(clip.type == .stepResult)
        #expect(try JSONParser.parse(clip.body ?? []) == JSONParser.parse(#"{"j1":{"x":1},"j2":{"y":2}}"#))

        // Neither: no final dataclip (older workers).
        try f.run("r3")
        try f.accept("run:complete", #"{"run_id":"r3","reason":"fail"}"#)
        #expect(try f.log.run("r3")?.finalDataclipId == nil)
        #expect(try f.log.run("r3")?.state == .failed)
    }

    @Test func finalDataclipOfAnotherProjectIsRefused() throws {
        let f = try LogFixture()
        // A second project with its own workflow and a dataclip.
        try f.expectAppended(.publishWorkflow(PublishRequest(
            workflowId: "w2", projectId: "p2", deleted: false, jobIds: ["k"], triggers: [], content: Array("other".utf8),
            document: { _ in [] })))
        try f.expectAppended(.createRun(CreateRun(
            runId: "other", workflowId: "w2", input: NewDataclip(type: .global, body: Array("{}".utf8)))))
        let foreign = try #require(try f.log.run("other")?.inputDataclipId)
        try f.run("r")
        #expect(try f.worker("run:complete", #"{"run_id":"r","reason":"success","final_dataclip_id":"\#(foreign)"}"#)
            == .rejected(.dataclipNotFound(field: "final_dataclip_id", id: foreign)))
        // In the contract's words, as for a dataclip that does not exist.
        #expect(EventLogError.dataclipNotFound(field: "final_dataclip_id", id: foreign).message == "final_dataclip_id does not exist")
    }

    @Test func eraseAllRecordsDataclipsWithoutBodies() throws {
        let f = try LogFixture(retention: .eraseAll)
        try f.run("r")
        try f.accept("step:start", #"{"run_id":"r","step_id":"s","job_id":"j1"}"#)
        try f.accept("step:complete", #"{"run_id":"r","step_id":"s","job_id":"j1","reason":"success","output_dataclip_id":"o","output_dataclip":"{\"secret\":1}","timestamp":1800000000000000}"#)
        let output = try #require(try f.log.dataclip("o"))
        #expect(output.body == nil)
        #expect(output.wipedAt == Timestamp(microseconds: 1_800_000_000_000_000))
        try f.accept("run:complete", #"{"run_id":"r","reason":"success","final_state":{"s":{"secret":1}}}"#)
        let final = try #require(try f.log.dataclip(try f.log.run("r")?.finalDataclipId ?? ""))
        #expect(final.body == nil && final.wipedAt != nil)
    }

    @Test func wipingKeepsTheHeader() throws {
        let f = try LogFixture()
        try f.run("r")
        let input = try #require(try f.log.run("r")?.inputDataclipId)
        guard case .appended = try f.worker("dataclip:wiped", #"{"dataclip_id":"\#(input)"}"#) else {
            Issue.record("wipe refused")
            return
        }
        let clip = try #require(try f.log.dataclip(input))
        #expect(clip.body == nil && clip.wipedAt != nil && clip.type == .global && clip.projectId == "p1")
        #expect(try f.worker("dataclip:wiped", #"{"dataclip_id":"\#(input)"}"#, id: .random())
            == .rejected(.dataclipAlreadyWiped(input)))
    }

    @Test func missingAndMistypedFieldsAreNamed() {
        func error(_ event: String, _ payload: String) -> EventLogError? {
            do {
                _ = try WorkerProtocol.submission(event: event, id: nil, payload: try JSONParser.parse(payload))
                return nil
            } catch let e as EventLogError { return e } catch { return .storage("\(error)") }
        }
        #expect(error("run:start", "{}") == .missingField("run_id"))
        #expect(error("run:start", #"{"run_id": 5}"#) == .wrongType(field: "run_id", expected: "a string", found: "a number"))
        #expect(error("run:start", #"{"run_id": "r", "timestamp": "yesterday"}"#)?.field == "timestamp")
        #expect(error("step:complete", #"{"run_id":"r","step_id":"s","job_id":"j","reason":"meh"}"#)?.field == "reason")
        #expect(error("run:complete", #"{"run_id":"r"}"#) == .missingField("reason"))
        #expect(error("run:complete", #"{"run_id":"r","reason":"success","final_state":[1]}"#)?.field == "final_state")
        #expect(error("run:created", #"{"run_id":"r","workflow_id":"w","input":{"type":"bogus","body":{}}}"#)?.field == "input.type")
        #expect(error("run:nope", "{}") == .unknownEventType("run:nope"))
    }
}
