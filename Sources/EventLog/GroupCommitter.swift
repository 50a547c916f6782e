import Foundation

/// What one group-commit transaction did, told to the log's observer
/// (`EventStore.groupCommitObserver`) before its callers have their
/// answers, so a scrape after an answer counts the transaction that gave
/// it: the service turns it into metrics.
///
/// A plain value handed to a closure, not swift-metrics handles: the log
/// keeps no dependency beyond LMDB, knows nothing of metric names or
/// backends, and when nobody observes (the CLI, the benchmarks) it pays
/// two clock reads and one lock per transaction, and one clock read per
/// caller (tens of nanoseconds each).
public struct GroupCommitReport: Sendable {
    /// Submissions the transaction took (the batch size).
    public let submissions: Int
    /// For each caller in the transaction (its submissions travel together),
    /// how long they waited in the queue before the transaction began.
    public let waits: [Duration]
    /// The transaction, from its start to its durable commit: validating,
    /// writing, and the commit with its fsync.
    public let duration: Duration
    /// `false` when storage failed, and the whole transaction with it.
    public let committed: Bool
}

/// Group commit: concurrent appenders queue their submissions; one writer
/// drains the queue into a single write transaction (one fsync) and hands
/// each caller its own outcomes. While a transaction is being written the
/// next batch gathers, so the batch size follows the load. The writer runs
/// on its own queue, so callers on Swift's cooperative pool never block on
/// an fsync.
final class GroupCommitter: @unchecked Sendable {
    /// One caller's submissions: kept in order and in one transaction (a
    /// run's events depend on the ones before them).
    private typealias Waiter = (
        submissions: [Submission], continuation: CheckedContinuation<Result<[AppendOutcome], any Error>, Never>,
        queued: ContinuousClock.Instant
    )

    private let lock = NSLock()
    private var pending: [Waiter] = []
    private var draining = false
    private let queue = DispatchQueue(label: "cairn.eventlog.group-commit")
    /// The most submissions one transaction takes (a larger single caller still goes whole).
    let maxBatch = 4_096

    /// Appends `submissions` in order, in one transaction shared with other
    /// callers'. A storage failure throws; a rejected submission is its own outcome.
    func submit(_ submissions: [Submission], to store: EventStore) async throws -> [AppendOutcome] {
        guard !submissions.isEmpty else { return [] }
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<[AppendOutcome], any Error>, Never>) in
            let queued = ContinuousClock.now
            let startDrain: Bool = lock.withLock {
                pending.append((submissions, continuation, queued))
                if draining { return false }
                draining = true
                return true
            }
            if startDrain { queue.async { self.drain(store) } }
        }
        return try result.get()
    }

    private func drain(_ store: EventStore) {
        while true {
            let batch: [Waiter] = lock.withLock {
                var count = 0
                var taken = 0
                while taken < pending.count, taken == 0 || count + pending[taken].submissions.count <= maxBatch {
                    count += pending[taken].submissions.count
                    taken += 1
                }
                let batch = Array(pending.prefix(taken))
                pending.removeFirst(taken)
                if batch.isEmpty { draining = false }
                return batch
            }
            if batch.isEmpty { return }
            let submissions = batch.flatMap(\.submissions)
            let started = ContinuousClock.now
            let result = Result { try store.append(submissions) }
            let ended = ContinuousClock.now
            if let observer = store.groupCommitObserver {
                let committed: Bool
                if case .success = result { committed = true } else { committed = false }
                observer(GroupCommitReport(
                    submissions: submissions.count, waits: batch.map { started - $0.queued }, duration: ended - started,
                    committed: committed))
            }
            switch result {
            case .success(let all):
                var outcomes = all[...]
                for waiter in batch {
                    let own = Array(outcomes.prefix(waiter.submissions.count))
                    outcomes = outcomes.dropFirst(waiter.submissions.count)
                    waiter.continuation.resume(returning: .success(own))
                }
            case .failure(let error):
                // A storage failure fails the whole transaction, so every caller in it.
                for waiter in batch { waiter.continuation.resume(returning: .failure(error)) }
            }
        }
    }
}
