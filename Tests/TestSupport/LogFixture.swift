public import EventLog
import Foundation
import Synchronization
import JSON
public import LMDB

/// A fresh event log with one project and one published workflow, and
/// helpers that speak the worker protocol, so tests read like the events.
public final class LogFixture {
    public let folder = TemporaryFolder()
    public let environment: Environment
    public let log: EventStore
    public let project = "p1"
    public let workflow = "w1"
    public let jobs = ["j1", "j2"]
    public let trigger = "t1"
    /// The shared clock's last reading. Atomic: fixtures of tests running
    /// in parallel read it from their own threads (ThreadSanitizer caught
    /// the unsynchronised `static var` it was).
    static let tick = Atomic<Int64>(1_800_000_000_000_000)

    /// - Parameter clock: the log's clock; by default a shared one that
    ///   moves a millisecond an event from 2027-01-15.
    public init(retention: Retention = .retainAll, clock: (@Sendable () -> Timestamp)? = nil) throws {
        environment = try Environment(path: folder.path)
        log = try EventStore(environment: environment, clock: clock ?? {
            Timestamp(microseconds: LogFixture.tick.add(1_000, ordering: .relaxed).newValue)
        })
        try expectAppended(.configureProject(projectId: project, name: "P", retention: retention))
        try expectAppended(.publishWorkflow(publishRequest()))
    }

    public func publishRequest(
        jobs: [String]? = nil, triggers: [TriggerSummary]? = nil, deleted: Bool = false, content: String = "v1"
    ) -> PublishRequest {
        PublishRequest(
            workflowId: workflow, projectId: project, deleted: deleted, jobIds: jobs ?? self.jobs,
            triggers: triggers ?? [TriggerSummary(id: trigger, type: "cron", enabled: true, cronExpression: "* * * * *")],
            content: Array(content.utf8), document: { v in Array("{\"lock_version\":\(v)}".utf8) })
    }

    @discardableResult
    public func submit(_ command: Command, id: EventID = .random(), expected: UInt32? = nil) throws -> AppendOutcome {
        try log.append([Submission(id: id, command: command, expectedVersion: expected)])[0]
    }

    @discardableResult
    public func expectAppended(_ command: Command) throws -> UInt64 {
        let outcome = try submit(command)
        guard case .appended(let sequence) = outcome else { throw FixtureError.notAppended(outcome) }
        return sequence
    }

    public func worker(_ event: String, _ payload: String, id: EventID = .random()) throws -> AppendOutcome {
        let submission = try WorkerProtocol.submission(event: event, id: id, payload: try JSONParser.parse(payload))
        return try log.append([submission])[0]
    }

    /// Sends a worker event that must be appended.
    public func accept(_ event: String, _ payload: String) throws {
        let outcome = try worker(event, payload)
        guard case .appended = outcome else { throw FixtureError.notAppended(outcome) }
    }

    /// Creates a run with a new input dataclip and moves it to `state` (available, claimed or started).
    public func run(_ id: String, to state: RunState = .started) throws {
        try expectAppended(.createRun(CreateRun(
            runId: id, workflowId: workflow, startingTriggerId: trigger,
            input: NewDataclip(type: .global, body: Array("{}".utf8)))))
        if state == .available { return }
        try expectAppended(.claimRun(runId: id, workerName: "w", timestamp: nil))
        if state == .claimed { return }
        try expectAppended(.startRun(runId: id, timestamp: nil))
    }

    public enum FixtureError: Error { case notAppended(AppendOutcome) }
}
