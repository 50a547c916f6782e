public import EventLog

/// Where a folder keeps the last minute any scheduler ticked, outside the
/// log: the log records a tick only when something was due (an idle
/// scheduler does not grow it by an event a minute), so after a restart its
/// horizon may be a daily trigger's last fire. A fresh process needs the
/// true last tick to tell a restart of a minute (a late tick, which owes
/// the fires it missed) from downtime (which, by default, does not).
public struct TickMemory: Sendable {
    /// The minute remembered, if any.
    public var recall: @Sendable () throws -> Timestamp?
    /// Remembers `minute` unless a later one is remembered already.
    public var remember: @Sendable (Timestamp) throws -> Void

    public init(
        recall: @escaping @Sendable () throws -> Timestamp?, remember: @escaping @Sendable (Timestamp) throws -> Void
    ) {
        self.recall = recall
        self.remember = remember
    }

    /// Remembers nothing: a fresh scheduler knows only the log's horizon.
    public static let none = TickMemory(recall: { nil }, remember: { _ in })
}
