/// How `cairn serve` runs.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Bearer token → the project it may act on. Empty: no authentication
    /// (local development only; the server says so when it starts).
    public var tokens: [String: String]
    /// Run the cron scheduler in the server (at each minute boundary).
    public var runScheduler: Bool
    /// After downtime, how far back the scheduler may run a trigger's most recent missed fire.
    public var catchUpWindow: Double

    public init(
        host: String = "127.0.0.1", port: Int = 4000, tokens: [String: String] = [:], runScheduler: Bool = true,
        catchUpWindow: Double = 0
    ) {
        self.host = host
        self.port = port
        self.tokens = tokens
        self.runScheduler = runScheduler
        self.catchUpWindow = catchUpWindow
    }
}
