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
    let deadline = ContinuousClock.now + limit
    var asked = 0
    while true {
        if try holds() { return true }
        asked += 1
        if asked >= 1_000, ContinuousClock.now >= deadline { return false }
        try? await Task.sleep(for: .milliseconds(2))
    }
}

/// The same, for synchronous tests: polls on the calling thread.
public func eventuallyBlocking(
    within limit: Duration = .seconds(10), _ holds: () throws -> Bool
) rethrows -> Bool {
    let deadline = ContinuousClock.now + limit
    var asked = 0
    while true {
        if try holds() { return true }
        asked += 1
        if asked >= 1_000, ContinuousClock.now >= deadline { return false }
        usleep(2_000)
    }
}
