import EventLog
import Projections
import TestSupport
import Testing

/// The claim endpoint's question: which runs wait for a worker, oldest first.
@Suite struct AvailableRunsTests {
    @Test func availableRunsAreTheUnclaimedOnesOldestFirst() throws {
        let f = try LogFixture()
        try f.expectAppended(.publishWorkflow(f.publishRequest(triggers: [], content: "w")))
        let projections = try Projections(log: f.log)
        func create(_ id: String, at time: Int64) throws {
            try f.accept("run:created", #"{"run_id":"\#(id)","workflow_id":"w1","input":{"type":"global","body":{}},"timestamp":\#(time)}"#)
        }
        // Created out of time order; r3 is claimed in the batch that creates it.
        try create("r2", at: 2_000)
        try create("r1", at: 1_000)
        try create("r3", at: 3_000)
        try f.accept("run:claimed", #"{"run_id":"r3"}"#)
        try projections.catchUp()
        #expect(try projections.availableRuns(limit: 10).map(\.runId) == ["r1", "r2"])
        // Claimed and cancelled in later batches leave the index.
        try create("r4", at: 4_000)
        try projections.catchUp()
        try f.accept("run:claimed", #"{"run_id":"r1"}"#)
        try projections.catchUp()
        try f.accept("run:cancelled", #"{"run_id":"r4"}"#)
        try projections.catchUp()
        #expect(try projections.availableRuns(limit: 10).map(\.runId) == ["r2"])
        try create("r0", at: 500)
        try projections.catchUp()
        #expect(try projections.availableRuns(limit: 1).map(\.runId) == ["r0"])
        // And the index a replay builds is the same.
        #expect(try projections.engine.verify().isEmpty)
    }
}
