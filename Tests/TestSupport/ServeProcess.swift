public import Foundation

/// `cairn serve` in a process of its own, as an operator starts it, on a
/// port the system chose (`--port 0`): the port is read from the line the
/// service logs once it listens, so no test guesses a free port and races
/// another process for it.
public final class ServeProcess: @unchecked Sendable {
    public let process: Process
    /// The port the service listens on.
    public private(set) var port = 0
    private let log = LockedText()

    public enum Failure: Error, CustomStringConvertible {
        case exited(status: Int32, log: String)
        case noPortWithin(seconds: Int, log: String)

        public var description: String {
            switch self {
            case .exited(let status, let log): "cairn serve exited with status \(status) before it listened:\n\(log)"
            case .noPortWithin(let seconds, let log): "cairn serve did not listen within \(seconds) s:\n\(log)"
            }
        }
    }

    /// Starts `cairn serve ARGUMENTS --port 0` and returns once it listens.
    /// The line it waits for is logged at info: `LOG_LEVEL` is info here
    /// unless `environment` says otherwise (tools/test runs the suite at warning).
    public static func start(_ arguments: [String], environment: [String: String] = [:], within seconds: Int = 60) async throws
        -> ServeProcess
    {
        let service = try ServeProcess(arguments, environment: environment)
        do {
            try await service.waitUntilListening(within: seconds)
        } catch {
            service.stop()
            throw error
        }
        return service
    }

    private init(_ arguments: [String], environment: [String: String]) throws {
        process = Process()
        process.executableURL = CLI.buildFolder.appendingPathComponent("cairn")
        process.arguments = ["serve"] + arguments + ["--port", "0"]
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "CAIRN_DATA")
        env["LOG_LEVEL"] = "info"
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Read standard error to its end on a thread of its own: the
        // service logs a line a request, and a full pipe would stall it.
        let reading = err.fileHandleForReading
        let log = self.log
        Thread.detachNewThread {
            while case let data = reading.availableData, !data.isEmpty { log.append(data) }
        }
    }

    /// Gives up after `seconds` and 1,000 looks (as `eventually` does):
    /// other suites' synchronous work can hold Swift's cooperative pool, and
    /// with it this task's sleep, past any deadline, while the service was
    /// listening all along.
    private func waitUntilListening(within seconds: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        var looks = 0
        while true {
            if let port = Self.listeningPort(in: log.text) {
                self.port = port
                return
            }
            if !process.isRunning {
                process.waitUntilExit()
                throw Failure.exited(status: process.terminationStatus, log: log.text)
            }
            looks += 1
            if looks >= 1_000 && ContinuousClock.now >= deadline { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw Failure.noPortWithin(seconds: seconds, log: log.text)
    }

    /// What it logged so far.
    public var logText: String { log.text }

    /// SIGTERM (unless it stopped already), then waits for it to end.
    public func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    /// The port in `serving FOLDER on http://HOST:PORT`, the line `cairn
    /// serve` logs once it listens; whole lines only (one being written may
    /// hold half the port's digits).
    static func listeningPort(in log: String) -> Int? {
        for line in log.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            guard let serving = line.range(of: " serving "), let http = line.range(of: " on http://", range: serving.upperBound..<line.endIndex),
                  let colon = line[http.upperBound...].lastIndex(of: ":")
            else { continue }
            if let port = Int(line[line.index(after: colon)...].prefix(while: \.isNumber)), port > 0 { return port }
        }
        return nil
    }
}

private final class LockedText: @unchecked Sendable {
    private let lock = NSLock()
    private var bytes = Data()
    func append(_ data: Data) { lock.withLock { bytes.append(data) } }
    var text: String { lock.withLock { String(decoding: bytes, as: UTF8.self) } }
}
