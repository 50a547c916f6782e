import EventLog
import Foundation
import JSON
import Projections
import TestSupport
import Testing

/// The longest ids allowed fit every index and projection key (LMDB keys are
/// at most 511 bytes); a longer one is refused before anything is written, so
/// it can never wedge a projection.
@Suite struct KeyLimitTests {
    @Test func theLongestIdsGoThroughEveryKey() throws {
        let f = try LogFixture()
        func id(_ c: Character) -> String { String(repeating: c, count: Identifier.maxBytes) }
        let (workflow, job, trigger, run, step, output) = (id("w"), id("j"), id("t"), id("r"), id("s"), id("o"))
        try f.expectAppended(.publishWorkflow(PublishRequest(
            workflowId: workflow, projectId: id("p"), deleted: false, jobIds: [job],
            triggers: [TriggerSummary(id: trigger, type: "cron", enabled: true, cronExpression: "* * * * *", cronCursorJobId: job)],
            content: Array("long".utf8), document: { _ in [] })))
        for (event, payload) in [
            ("run:created", #"{"run_id":"\#(run)","workflow_id":"\#(workflow)","starting_trigger_id":"\#(trigger)","input":{"type":"global","body":{}}}"#),
            ("run:claimed", #"{"run_id":"\#(run)"}"#), ("run:start", #"{"run_id":"\#(run)"}"#),
            ("step:start", #"{"run_id":"\#(run)","step_id":"\#(step)","job_id":"\#(job)"}"#),
            ("step:complete", #"{"run_id":"\#(run)","step_id":"\#(step)","job_id":"\#(job)","reason":"success","output_dataclip_id":"\#(output)","output_dataclip":"{}"}"#),
            ("run:complete", #"{"run_id":"\#(run)","reason":"success","final_dataclip_id":"\#(output)"}"#),
        ] { try f.accept(event, payload) }
        let projections = try Projections(log: f.log)
        #expect(try projections.nextCronInput(trigger)?.dataclipId == output)
        try f.accept("dataclip:wiped", #"{"dataclip_id":"\#(output)"}"#)
        try projections.catchUp()
        #expect(try projections.nextCronInput(trigger)?.source == .empty)
        #expect(try projections.engine.verify().isEmpty)

        // One byte more is refused, with the field named.
        #expect(throws: EventLogError.self) {
            _ = try WorkerProtocol.submission(event: "run:start", id: nil, payload: try JSONParser.parse(#"{"run_id":"\#(run)x"}"#))
        }
        #expect(try f.submit(.publishWorkflow(PublishRequest(
            workflowId: "w2", projectId: "p", deleted: false, jobIds: [job + "x"], triggers: [],
            content: Array("x".utf8), document: { _ in [] }))) == .rejected(.invalidValue(field: "jobs.id", reason: "is longer than \(Identifier.maxBytes) bytes")))
    }
}
