import Foundation

/// A value handed from a task to the thread waiting for it.
final class Handover<T>: @unchecked Sendable { var value: T? }

/// Runs `body` to its end on Swift concurrency's pool while libFuzzer's
/// thread waits: the targets that drive the service's async code.
public func blocking<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
    let box = Handover<T>()
    let done = DispatchSemaphore(value: 0)
    Task {
        box.value = await body()
        done.signal()
    }
    done.wait()
    return box.value!
}
