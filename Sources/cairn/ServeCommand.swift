import ArgumentParser
import CairnKit
import CairnServer
import Foundation
import Hummingbird
import HummingbirdWebSocket
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

        @Option(help: "Port to listen on.")
        var port: Int = 4000

        @Option(help: "Address to listen on.")
        var host: String = "127.0.0.1"

        @Flag(name: .customLong("no-scheduler"), help: "Do not start cron runs from this process.")
        var noScheduler = false

        @Option(name: .customLong("catch-up"), help: "After downtime, run each trigger's most recent missed fire within this many minutes.")
        var catchUpMinutes: Int = 0

        @Option(name: .customLong("webhook-timeout"), help: "Seconds a webhook answering after_completion waits for its run before 504.")
        var webhookTimeout: Int = 30

        @OptionGroup var data: DataOptions

        func validate() throws {
            guard (1...65535).contains(port) else { throw ValidationError("--port must be 1...65535") }
            guard (1...3_600).contains(webhookTimeout) else { throw ValidationError("--webhook-timeout must be 1...3600 seconds") }
        }

        func run() async throws {
            let store = try Store(path: data.path)
            let configuration = ServerConfiguration(
                host: host, port: port, runScheduler: !noScheduler, catchUpWindow: Double(catchUpMinutes * 60),
                webhookReplyTimeout: .seconds(webhookTimeout))
            // Secure by default: an open API never leaves this machine.
            if try !store.log.hasTokens() {
                guard ServerConfiguration.isLoopback(host) else {
                    throw CommandFailure("""
                        refusing to listen on \(host) with no token in \(data.path): the API would be open to the network. \
                        Make one first: cairn token create --project PROJECT --role worker --data \(data.path)
                        """, status: 2)
                }
                FileHandle.standardError.write(Data("""
                    cairn: no token in \(data.path): the API is open to this machine only (loopback). \
                    Make one with: cairn token create --project PROJECT --role worker|editor|viewer\n
                    """.utf8))
            }
            let router = makeRouter(store: store, configuration: configuration)
            let app = Application(
                router: router,
                server: .http1WebSocketUpgrade(webSocketRouter: makeSyncRouter(store: store, configuration: configuration)),
                configuration: .init(address: .hostname(host, port: port), serverName: "cairn"))
            var scheduler: Task<Void, Never>?
            if configuration.runScheduler {
                let cron = Scheduler(
                    log: store.log, projections: store.projections, catchUpWindow: configuration.catchUpWindow,
                    report: { failure in FileHandle.standardError.write(Data("cairn: scheduler: \(failure)\n".utf8)) })
                scheduler = Task { await cron.run() }
            }
            FileHandle.standardError.write(Data("cairn: serving \(data.path) on http://\(host):\(port)\n".utf8))
            defer { scheduler?.cancel() }
            try await app.runService()
        }
    }
}
