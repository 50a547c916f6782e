import ArgumentParser
import CairnKit
import CairnServer
import Foundation
import Logging
import Scheduler

extension Cairn {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the HTTP service on the data folder: the worker API, queries, publishing, and the cron scheduler.",
            discussion: """
                Requests authenticate with `Authorization: Bearer SECRET`, a token made by `cairn token create` \
                (scoped to one project and a role). With no token in the store the API is open, so the service \
                then listens on loopback only and refuses any other address. Routes: GET /openapi.json.
                """)

        @Option(help: "Port to listen on; 0 takes any free one (the log says which).")
        var port: Int = 4000

        @Option(help: "Address to listen on.")
        var host: String = "127.0.0.1"

        @Flag(name: .customLong("no-scheduler"), help: "Do not start cron runs from this process.")
        var noScheduler = false

        @Option(name: .customLong("catch-up"), help: "After downtime, run each trigger's most recent missed fire within this many minutes.")
        var catchUpMinutes: Int = 0

        @Option(name: .customLong("webhook-timeout"), help: "Seconds a webhook answering after_completion waits for its run before 504.")
        var webhookTimeout: Int = 30

        @Option(name: .customLong("max-body-mb"), help: "The largest request body, in MiB (larger: 413).")
        var maxBodyMB: Int = 32

        @Option(name: .customLong("max-dataclip-mb"), help: "The largest dataclip a request may create, in MiB (larger: 413).")
        var maxDataclipMB: Int = 10

        @Option(name: .customLong("max-socket-message-mb"), help: "The largest sync-socket message, in MiB (larger: closed with 1009).")
        var maxSocketMessageMB: Int = 16

        @Option(name: .customLong("max-events-per-request"), help: "The most events one request to a run's events may carry (more: 413).")
        var maxEventsPerRequest: Int = 1_000

        @Option(name: .customLong("idle-timeout"), help: "Seconds an HTTP connection may send nothing, once its first request has begun (between requests, or within a body), before it is closed.")
        var idleTimeout: Int = 60

        @OptionGroup var data: DataOptions

        func validate() throws {
            guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535 (0: any free port)") }
            guard (1...3_600).contains(webhookTimeout) else { throw ValidationError("--webhook-timeout must be 1...3600 seconds") }
            guard (0...525_600).contains(catchUpMinutes) else { throw ValidationError("--catch-up must be 0...525600 minutes (a year)") }
            // Tokens used to come from here; ignoring it would serve an open
            // API to workers who believe they authenticate.
            if ProcessInfo.processInfo.environment["CAIRN_TOKENS"] != nil {
                throw ValidationError("""
                    CAIRN_TOKENS is no longer read: tokens live in the data folder, hashed. Make each with \
                    `cairn token create --project P --role worker|editor|viewer`, give workers the secrets it prints, \
                    and unset CAIRN_TOKENS
                    """)
            }
            for (name, value) in [("--max-body-mb", maxBodyMB), ("--max-dataclip-mb", maxDataclipMB), ("--max-socket-message-mb", maxSocketMessageMB)]
            where !(1...1_024).contains(value) {
                throw ValidationError("\(name) must be 1...1024")
            }
            guard (1...100_000).contains(maxEventsPerRequest) else { throw ValidationError("--max-events-per-request must be 1...100000") }
            guard (1...3_600).contains(idleTimeout) else { throw ValidationError("--idle-timeout must be 1...3600 seconds") }
        }

        func run() async throws {
            // Every line on standard error, through swift-log; LOG_LEVEL (trace...critical) sets the level.
            LoggingSystem.bootstrap(StreamLogHandler.standardError)
            let logger = {
                var logger = Logger(label: "cairn")
                logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .info
                return logger
            }()
            // The crash test's simulated clock (docs/reliability.md, "Crash tests"); never set in service.
            var schedulerClock = SchedulerClock.wall
            if let text = ProcessInfo.processInfo.environment["CAIRN_SCHEDULER_CLOCK"] {
                do { schedulerClock = try SchedulerClock.parse(text) } catch {
                    throw CommandFailure("CAIRN_SCHEDULER_CLOCK: \(error)", status: 2)
                }
                logger.warning("the scheduler ticks by a simulated clock (CAIRN_SCHEDULER_CLOCK=\(text)), not the wall clock")
            }
            let store = try data.openStore(notice: { logger.notice("\($0)") })
            let configuration = ServerConfiguration(
                host: host, port: port, runScheduler: !noScheduler, catchUpWindow: Double(catchUpMinutes * 60),
                webhookReplyTimeout: .seconds(webhookTimeout),
                limits: RequestLimits(
                    bodyBytes: maxBodyMB << 20, dataclipBytes: maxDataclipMB << 20,
                    socketMessageBytes: maxSocketMessageMB << 20, eventsPerRequest: maxEventsPerRequest,
                    idleTimeout: .seconds(idleTimeout)),
                schedulerClock: schedulerClock)
            do {
                try await runServer(
                    store: store, configuration: configuration, logger: logger, report: { logger.error("\($0)") }
                ) { apiIsOpen in
                    if apiIsOpen {
                        logger.warning("""
                            no token in \(data.path): the API is open to this machine only (loopback). \
                            Make one with: cairn token create --project PROJECT --role worker|editor|viewer
                            """)
                    }
                } listening: { [host, path = data.path] port in
                    // Said once the port is open: a script may wait for this line.
                    logger.info("serving \(path) on http://\(host):\(port)")
                }
            } catch let error as ServerStartError {
                switch error {
                // Its message ends with the command that fixes it, which needs the folder.
                case .openOnNetwork: throw CommandFailure("\(error) --data \(data.path)", status: 2)
                case .addressInUse: throw CommandFailure("\(error)", status: 2)
                }
            }
            logger.info("stopped")
        }
    }
}
