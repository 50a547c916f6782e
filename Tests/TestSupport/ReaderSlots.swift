import Foundation
public import LMDB

/// Holds `slots` read transactions of an environment open, each on a thread
/// of its own, from `take()` until `release()`: with `slots` its
/// `maxReaders`, every reader slot is taken and a new read fails with
/// `readersFull`. Both calls act once, so a hook called many times (a
/// group-commit observer) can take the slots at its first call.
public final class ReaderSlots: @unchecked Sendable {
    private let environment: Environment
    private let slots: Int
    private let lock = NSLock()
    private var taken = false
    private var released = false
    private var holders = 0
    private let holding = DispatchSemaphore(value: 0)
    private let releasing = DispatchSemaphore(value: 0)
    private let ended = DispatchGroup()

    public init(_ environment: Environment, _ slots: Int) {
        self.environment = environment
        self.slots = slots
    }

    /// Whether every slot was taken.
    public var tookAll: Bool { lock.withLock { taken && holders == slots } }

    /// Returns once every holder holds its slot, or gave up on it.
    public func take() {
        let first = lock.withLock {
            defer { taken = true }
            return !taken
        }
        guard first else { return }
        for _ in 0..<slots {
            ended.enter()
            Thread { [self] in
                // Another reader (the log index's timed flush) may hold a slot
                // a moment: ask again rather than never signal, which would
                // leave the caller waiting for good.
                var held = false
                for _ in 0..<5_000 where !held {
                    do {
                        try environment.read { _ in
                            held = true
                            lock.withLock { holders += 1 }
                            holding.signal()
                            releasing.wait()
                        }
                    } catch {
                        usleep(1_000)
                    }
                }
                if !held { holding.signal() }
                ended.leave()
            }.start()
        }
        for _ in 0..<slots { holding.wait() }
    }

    /// Returns once every slot is free again.
    public func release() {
        let first = lock.withLock {
            defer { released = true }
            return taken && !released
        }
        guard first else { return }
        for _ in 0..<slots { releasing.signal() }
        ended.wait()
    }
}

/// Runs `body` while `slots` other threads each hold a read transaction of
/// `environment` open (`ReaderSlots`).
public func holdingReaderSlots<T>(_ environment: Environment, _ slots: Int, _ body: () throws -> T) rethrows -> T {
    let readers = ReaderSlots(environment, slots)
    readers.take()
    defer { readers.release() }
    return try body()
}
