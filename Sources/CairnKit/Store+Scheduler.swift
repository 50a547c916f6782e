public import Foundation
public import Scheduler

extension Store {
    /// A scheduler over this folder: `cairn schedule`, and the service's
    /// (one assembly for both, so they tick alike).
    /// - Parameters:
    ///   - catchUpWindow: how far back a tick looks for fire times it missed.
    ///   - report: told of each trigger that failed (the tick goes on with the others).
    ///   - onTick: told of each tick that completed (metrics).
    public func scheduler(
        catchUpWindow: TimeInterval = 0,
        report: @escaping @Sendable (TriggerFailure) -> Void = { _ in },
        onTick: @escaping @Sendable (Scheduler.Tick) -> Void = { _ in }
    ) -> Scheduler {
        Scheduler(
            log: log, projections: projections, catchUpWindow: catchUpWindow, report: report, onTick: onTick,
            runIdSalt: runIdSalt)
    }
}
