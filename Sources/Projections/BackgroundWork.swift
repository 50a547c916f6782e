import Foundation

/// A closure run on a thread of its own, for the replay's second core: the
/// caller goes on with its own part and joins when it needs the result.
/// The caller promises what Swift cannot check here: until `join`, nothing
/// else touches what the closure touches.
final class BackgroundWork: @unchecked Sendable {
    /// Dropped once run: an owner that keeps its work and is captured by
    /// the closure (the replay's `DetachedReplay`) would otherwise be a
    /// cycle, and leak every context and buffer of the replay.
    private var body: (() -> Void)?
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var finished = false
    private var joined = false

    init(_ name: String, _ body: @escaping () -> Void) {
        self.body = body
        let thread = Thread { [self] in
            let work = lock.withLock { () -> (() -> Void)? in
                defer { self.body = nil }
                return self.body
            }
            work?()
            lock.withLock { finished = true }
            done.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Whether the closure has returned (without waiting for it).
    var isFinished: Bool { lock.withLock { finished } }

    /// Waits until the closure has returned; at once after the first call.
    func join() {
        if lock.withLock({ joined }) { return }
        done.wait()
        lock.withLock { joined = true }
    }
}
