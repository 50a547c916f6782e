public import Scheduler

/// How `cairn serve` runs.
/// Who may call it is the store's business (`cairn token`), not the
/// configuration's: a secret never passes through a command line.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Run the cron scheduler in the server (at each minute boundary).
    public var runScheduler: Bool
    /// After downtime, how far back the scheduler may run a trigger's most recent missed fire.
    public var catchUpWindow: Double
    /// How long a webhook with `webhook_reply: after_completion` waits for
    /// its run to finish before answering 504 with the run id.
    public var webhookReplyTimeout: Duration
    public var limits: RequestLimits
    /// The time the scheduler ticks by: the wall clock, but in the crash test.
    public var schedulerClock: SchedulerClock

    public init(
        host: String = "127.0.0.1", port: Int = 4000, runScheduler: Bool = true,
        catchUpWindow: Double = 0, webhookReplyTimeout: Duration = .seconds(30), limits: RequestLimits = RequestLimits(),
        schedulerClock: SchedulerClock = .wall
    ) {
        self.schedulerClock = schedulerClock
        self.limits = limits
        self.webhookReplyTimeout = webhookReplyTimeout
        self.host = host
        self.port = port
        self.runScheduler = runScheduler
        self.catchUpWindow = catchUpWindow
    }
}

extension ServerConfiguration {
    /// Whether `host` only accepts connections from this machine.
    public static func isLoopback(_ host: String) -> Bool {
        let lowered = host.lowercased()
        if lowered == "localhost" || lowered == "::1" || lowered == "[::1]" { return true }
        let parts = lowered.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil } && parts[0] == "127"
    }
}
