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
                Tokens are PROJECT:TOKEN pairs (--token, repeatable, or CAIRN_TOKENS=p1:t1,p2:t2); a request \
                then needs `Authorization: Bearer TOKEN` and may only touch that project. Without tokens the \
                service is open: for local development only. Routes: GET /openapi.json.
                """)

        @Option(help: "Port to listen on.")
        var port: Int = 4000

        @Option(help: "Address to listen on.")
        var host: String = "127.0.0.1"

        @Option(name: .customLong("token"), help: "PROJECT:TOKEN (repeatable).")
        var tokens: [String] = []

        @Flag(name: .customLong("no-scheduler"), help: "Do not start cron runs from this process.")
        var noScheduler = false

        @Option(name: .customLong("catch-up"), help: "After downtime, run each trigger's most recent missed fire within this many minutes.")
        var catchUpMinutes: Int = 0

        @OptionGroup var data: DataOptions

        func validate() throws {
            guard (1...65535).contains(port) else { throw ValidationError("--port must be 1...65535") }
            for token in allTokens where token.split(separator: ":", maxSplits: 1).count != 2 {
                throw ValidationError("tokens are PROJECT:TOKEN, got '\(token)'")
            }
        }

        var allTokens: [String] {
            tokens + (ProcessInfo.processInfo.environment["CAIRN_TOKENS"]?.split(separator: ",").map(String.init) ?? [])
        }

        func run() async throws {
            let store = try Store(path: data.path)
            var map: [String: String] = [:]
            for pair in allTokens {
                let parts = pair.split(separator: ":", maxSplits: 1).map(String.init)
                map[parts[1]] = parts[0]
            }
            let configuration = ServerConfiguration(
                host: host, port: port, tokens: map, runScheduler: !noScheduler, catchUpWindow: Double(catchUpMinutes * 60))
            if map.isEmpty {
                FileHandle.standardError.write(Data("cairn: no tokens configured: the API is open (local development only)\n".utf8))
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
