import Foundation

/// Tells subscribers that the log's head moved. Each subscriber has a
/// stream that keeps only the newest head, so a slow reader never buffers
/// more than one wake-up.
final class HeadNotifier: @unchecked Sendable {
    private let lock = NSLock()
    private var continuations: [Int: AsyncStream<UInt64>.Continuation] = [:]
    private var nextToken = 0
    private var _head: UInt64 = 0

    var head: UInt64 {
        get { lock.withLock { _head } }
        set { lock.withLock { _head = newValue } }
    }

    func register() -> (AsyncStream<UInt64>, Int) {
        let (stream, continuation) = AsyncStream<UInt64>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let token = lock.withLock {
            nextToken += 1
            continuations[nextToken] = continuation
            return nextToken
        }
        return (stream, token)
    }

    func unregister(_ token: Int) {
        let continuation = lock.withLock { continuations.removeValue(forKey: token) }
        continuation?.finish()
    }

    func advance(to head: UInt64) {
        let targets: [AsyncStream<UInt64>.Continuation] = lock.withLock {
            guard head > _head else { return [] }
            _head = head
            return Array(continuations.values)
        }
        for continuation in targets { continuation.yield(head) }
    }
}
