import Dispatch

/// Runs an actor's jobs on a queue of its own instead of Swift's
/// cooperative pool. For actors that call LMDB writes (an fsync) or long
/// reads synchronously: they block their own thread, never one of the few
/// the pool's other tasks (every request) share. Synchronous calls keep the
/// actor's reasoning simple: no suspension between a check and the write.
final class OwnThread: SerialExecutor {
    private let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label)
        queue.setSpecific(key: queueName, value: label)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedSerialExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor { UnownedSerialExecutor(ordinary: self) }
}

/// Runs `body` on a queue of its own and waits for it without holding a
/// thread of the cooperative pool: for one-off blocking calls (a publish's
/// write transaction) from request handlers.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        blockingWork.async { continuation.resume(with: Result { try body() }) }
    }
}

/// Concurrent: LMDB serializes writers itself, and readers need no order.
private let blockingWork: DispatchQueue = {
    let queue = DispatchQueue(label: "cairn.server.blocking", attributes: .concurrent)
    queue.setSpecific(key: queueName, value: "cairn.server.blocking")
    return queue
}()

/// The label of the queue of ours the caller runs on, if any: how tests
/// see that blocking work left the cooperative pool.
let queueName = DispatchSpecificKey<String>()
func currentQueueName() -> String? { DispatchQueue.getSpecific(key: queueName) }
