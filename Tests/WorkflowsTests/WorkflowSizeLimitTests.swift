import Foundation
import Testing
import Workflows

/// Session 21's review: nothing bounded how many jobs, triggers and edges a
/// workflow may have, and the page reads a workflow whole, in time that
/// grows with their products (27 s and 1.7 GB for one view of a 1 MB publish).
@Suite struct WorkflowSizeLimitTests {
    static func uuid(_ kind: Int, _ n: Int) -> String {
        String(format: "%08x-0000-4000-8000-%012x", kind, n)
    }

    /// A chain of `jobs` jobs behind `triggers` webhook triggers (each with
    /// an edge to the first job), plus `extraEdges` more edges into the last job.
    static func workflow(jobs: Int, triggers: Int, extraEdges: Int = 0) -> Workflow {
        let jobList = (0..<jobs).map { Job(id: uuid(1, $0), name: "job \($0)") }
        let triggerList = (0..<triggers).map { Trigger(id: uuid(2, $0), type: .webhook) }
        var edges = triggerList.enumerated().map { Edge(id: uuid(3, $0.offset), sourceTriggerId: $0.element.id, targetJobId: jobList[0].id) }
        edges += (1..<max(1, jobs)).map { Edge(id: uuid(4, $0), sourceJobId: jobList[$0 - 1].id, targetJobId: jobList[$0].id) }
        edges += (0..<extraEdges).map { Edge(id: uuid(5, $0), sourceJobId: jobList[$0 % (jobs - 1)].id, targetJobId: jobList[jobs - 1].id) }
        return Workflow(
            id: uuid(9, 1), projectId: "p", name: "big", jobs: jobList, triggers: triggerList, edges: edges)
    }

    static func limitProblems(_ w: Workflow) -> [String] {
        WorkflowValidator.problems(in: w).filter { $0.message.contains("at most") }.map(\.path)
    }

    @Test func aWorkflowAtEachLimitIsValid() {
        let w = Self.workflow(jobs: WorkflowValidator.maxJobs, triggers: WorkflowValidator.maxTriggers,
                              extraEdges: WorkflowValidator.maxEdges - WorkflowValidator.maxTriggers - (WorkflowValidator.maxJobs - 1))
        #expect(w.edges.count == WorkflowValidator.maxEdges)
        #expect(WorkflowValidator.problems(in: w).isEmpty)
    }

    @Test func oneMoreOfAnyIsRefusedNamingIt() {
        #expect(Self.limitProblems(Self.workflow(jobs: WorkflowValidator.maxJobs + 1, triggers: 1)) == ["jobs"])
        #expect(Self.limitProblems(Self.workflow(jobs: 2, triggers: WorkflowValidator.maxTriggers + 1)) == ["triggers"])
        #expect(Self.limitProblems(Self.workflow(jobs: 10, triggers: 1, extraEdges: WorkflowValidator.maxEdges - 9)) == ["edges"])
    }
}
