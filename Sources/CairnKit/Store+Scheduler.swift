public import Foundation
public import Scheduler
import EventLog
import LMDB

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
            // Through the store's note of the lag: an idle service, whose
            // only writes are its ticks, shows the lag set and cleared.
            catchUp: { [self] in try catchUpProjectionsHere() },
            runIdSalt: runIdSalt, runIdSaltAppliesAfter: runIdSaltAppliesAfter, memory: tickMemory)
    }

    private static let lastTickKey = Array("scheduler_last_tick".utf8)

    /// The last minute ticked, in the folder's `meta` (see `TickMemory`).
    var tickMemory: TickMemory {
        let (environment, meta) = (environment, meta)
        @Sendable func read(_ txn: ReadTransaction) throws -> Timestamp? {
            try txn.get(meta, key: Self.lastTickKey).flatMap(UInt64.init(bigEndianBytes:))
                .map { Timestamp(microseconds: Int64(truncatingIfNeeded: $0)) }
        }
        return TickMemory(
            recall: { try environment.read(read) },
            remember: { minute in
                try environment.write { txn in
                    if let known = try read(txn), known >= minute { return }
                    try txn.put(meta, key: Self.lastTickKey, value: UInt64(bitPattern: minute.microseconds).bigEndianBytes)
                }
            })
    }
}
