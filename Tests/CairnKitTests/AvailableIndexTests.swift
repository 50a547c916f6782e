import CairnKit
import EventLog
import Foundation
import LMDB
import Projections
import TestSupport
import Testing
import Workflows

/// The runs waiting for a worker are indexed by project, then creation
/// time (runs projector version 5, issue #17 item 10).
@Suite struct AvailableIndexTests {
    static func workflow(_ project: String) -> String { "7b1c2b4e-0c2d-4f7a-9a51-1d2f3e4a5b6\(project.last!)" }

    /// A store with the sample workflow in p1 and p2 (`workflow(project)`) and
    /// runs created at the given times (microseconds), in that order.
    func store(_ folder: TemporaryFolder, runs: [(id: String, project: String, at: Int64)]) throws -> Store {
        let store = try Store(path: folder.path)
        for (digit, project) in ["p1", "p2"].enumerated() {
            _ = try store.publish(try WorkflowJSON.decode(Array(
                Fixtures.sampleWorkflowJSON(project: project, workflowId: Self.workflow(project), copy: digit + 1).utf8)))
        }
        _ = try store.append(runs.map { run in
            Submission(id: .random(), command: .createRun(CreateRun(
                runId: run.id, workflowId: Self.workflow(run.project), input: NewDataclip(type: .global, body: Array("{}".utf8)),
                timestamp: Timestamp(microseconds: run.at))))
        })
        return store
    }

    @Test func eachProjectsRunsOldestFirstAndAllMergedWithoutAProject() throws {
        let folder = TemporaryFolder()
        let store = try store(folder, runs: [("a2", "p1", 2), ("b1", "p2", 1), ("a0", "p1", 0), ("b3", "p2", 3), ("a3", "p1", 3)])
        #expect(try store.projections.availableRuns(project: "p1", limit: 10).map(\.runId) == ["a0", "a2", "a3"])
        #expect(try store.projections.availableRuns(project: "p2", limit: 1).map(\.runId) == ["b1"])
        #expect(try store.projections.availableRuns(project: "p3", limit: 10).isEmpty)
        #expect(try store.projections.availableRuns(limit: 4).map(\.runId) == ["a0", "b1", "a2", "a3"])
        #expect(try store.projections.availableRuns(limit: 0).isEmpty)
    }

    /// A store written by runs projector version 4 (one `available` index
    /// for every project) rebuilds the projection when opened and drops the
    /// old index.
    @Test func anOlderStoreRebuildsTheIndexAndDropsTheOldOne() throws {
        let folder = TemporaryFolder()
        do {
            let store = try store(folder, runs: [("a1", "p1", 5), ("b1", "p2", 9)])
            // As version 4 left it: its checkpoint says 4, and its table `available` holds the runs by time alone.
            let checkpoints = try store.environment.database("checkpoints")
            let old = try store.environment.database("proj.runs.available.0")
            try store.environment.write { txn in
                var checkpoint = try #require(try txn.get(checkpoints, key: Array("runs".utf8)))
                checkpoint.replaceSubrange(1..<5, with: UInt32(4).bigEndianBytes)
                try txn.put(checkpoints, key: Array("runs".utf8), value: checkpoint)
                try txn.put(old, key: Key.time(Timestamp(microseconds: 5)) + Array("a1".utf8), value: [])
            }
        }
        let store = try Store(path: folder.path)
        #expect(try store.projections.engine.status().first { $0.name == "runs" }?.version == 6)
        #expect(try !store.environment.databaseNames().contains { $0.hasPrefix("proj.runs.available.") })
        #expect(try store.projections.availableRuns(project: "p2", limit: 10).map(\.runId) == ["b1"])
        #expect(try store.projections.availableRuns(limit: 10).map(\.runId) == ["a1", "b1"])
    }
}
