/// What validating an append reads again and again — the run's aggregate,
/// the snapshot it runs against, the project's retention — kept in memory.
/// Touched only under the writer lock: a batch works on its own overlay and
/// merges it here after its transaction commits (`afterCommit`), so an
/// aborted transaction leaves nothing behind.
final class WriteCache: @unchecked Sendable {
    var runs: [String: RunAggregate] = [:]
    var snapshots: [SnapshotKey: StoredSnapshot] = [:]
    var latestSnapshot: [String: UInt32] = [:]
    var projects: [String: ProjectConfigured?] = [:]
    /// The log's last sequence when the cache was last brought up to date.
    /// Another process writing to the same folder moves the head without
    /// telling us: a batch that finds a different head starts from empty.
    var head: UInt64 = 0
    /// Bound on cached runs; past it the cache starts over (runs are cheap to fold again).
    let maxRuns = 200_000

    struct SnapshotKey: Hashable {
        var workflowId: String
        var lockVersion: UInt32
    }

    /// A batch's changes, merged after commit.
    struct Overlay {
        var runs: [String: RunAggregate] = [:]
        var snapshots: [SnapshotKey: StoredSnapshot] = [:]
        var latestSnapshot: [String: UInt32] = [:]
        var projects: [String: ProjectConfigured?] = [:]
    }

    /// Forgets everything unless `head` is the head this cache last saw.
    func validate(head: UInt64) {
        guard head != self.head else { return }
        runs.removeAll(keepingCapacity: true)
        snapshots.removeAll()
        latestSnapshot.removeAll()
        projects.removeAll()
        self.head = head
    }

    func merge(_ overlay: Overlay, head: UInt64) {
        self.head = head
        if runs.count + overlay.runs.count > maxRuns { runs.removeAll(keepingCapacity: true) }
        // Only runs still in flight: a final run takes nothing but late logs,
        // which fold it again from the log. Kept, every run a service ever
        // saw stayed in memory (about 9 KiB each) until the bound.
        for (id, run) in overlay.runs {
            if run.state.isFinal { runs.removeValue(forKey: id) } else { runs[id] = run }
        }
        snapshots.merge(overlay.snapshots) { _, new in new }
        latestSnapshot.merge(overlay.latestSnapshot) { _, new in new }
        projects.merge(overlay.projects) { _, new in new }
    }
}
