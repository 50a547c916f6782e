import Foundation

/// Group commit: concurrent appenders queue their submissions; one writer
/// drains the queue into a single write transaction (one fsync) and hands
/// each caller its own outcome. While a transaction is being written the
/// next batch gathers, so the batch size follows the load.
final class GroupCommitter: @unchecked Sendable {
    private typealias Waiter = (Submission, CheckedContinuation<Result<AppendOutcome, any Error>, Never>)

    private let lock = NSLock()
    private var pending: [Waiter] = []
    private var draining = false
    private let queue = DispatchQueue(label: "cairn.eventlog.group-commit")
    /// The largest batch one transaction takes.
    let maxBatch = 4_096

    func submit(_ submission: Submission, to store: EventStore) async throws -> AppendOutcome {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<AppendOutcome, any Error>, Never>) in
            let startDrain: Bool = lock.withLock {
                pending.append((submission, continuation))
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
                let taken = Array(pending.prefix(maxBatch))
                pending.removeFirst(taken.count)
                if taken.isEmpty { draining = false }
                return taken
            }
            if batch.isEmpty { return }
            do {
                let outcomes = try store.append(batch.map(\.0))
                for (waiter, outcome) in zip(batch, outcomes) { waiter.1.resume(returning: .success(outcome)) }
            } catch {
                // A storage failure fails the whole transaction, so every caller in it.
                for waiter in batch { waiter.1.resume(returning: .failure(error)) }
            }
        }
    }
}
