import Dispatch
public import LMDB

/// Runs `body` while `slots` other threads each hold a read transaction of
/// `environment` open: with `slots` its `maxReaders`, every reader slot is
/// taken, and a new read fails with `readersFull`.
public func holdingReaderSlots<T>(_ environment: Environment, _ slots: Int, _ body: () throws -> T) rethrows -> T {
    let holding = DispatchSemaphore(value: 0)
    let release = DispatchSemaphore(value: 0)
    let done = DispatchGroup()
    for _ in 0..<slots {
        DispatchQueue.global().async(group: done) {
            _ = try? environment.read { _ in
                holding.signal()
                release.wait()
            }
        }
    }
    for _ in 0..<slots { holding.wait() }
    defer {
        for _ in 0..<slots { release.signal() }
        done.wait()
    }
    return try body()
}
