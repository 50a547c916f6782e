import Foundation

/// Waits until `holds` is true, polling every 2 ms; gives up, returning
/// false, once `limit` has passed and it has asked at least 1,000 times.
/// For what another task or thread does after the call a test made returns
/// (an outbox's send, a close on a task of its own, a background thread's
/// run): a fixed sleep is either too short on a loaded two-core CI machine
/// or wastes time everywhere else. The count matters as much as the
/// limit: while other suites' synchronous work holds the cooperative
/// pool's threads, neither this task nor the one it waits for runs, and a
/// deadline alone could pass in a single sleep.
public func eventually(
    within limit: Duration = .seconds(10), _ holds: () throws -> Bool
) async rethrows -> Bool {
    var patience = Patience(limit)
    while try !holds() {
        if patience.isOver() { return false }
        try? await Task.sleep(for: .milliseconds(2))
    }
    return true
}

/// The same, for synchronous tests: polls on the calling thread.
public func eventuallyBlocking(
    within limit: Duration = .seconds(10), _ holds: () throws -> Bool
) rethrows -> Bool {
    var patience = Patience(limit)
    while try !holds() {
        if patience.isOver() { return false }
        usleep(2_000)
    }
    return true
}

/// When to give up asking: past the limit, and after 1,000 asks.
private struct Patience {
    let deadline: ContinuousClock.Instant
    var asked = 0

    init(_ limit: Duration) { deadline = ContinuousClock.now + limit }

    mutating func isOver() -> Bool {
        asked += 1
        return asked >= 1_000 && ContinuousClock.now >= deadline
    }
}
