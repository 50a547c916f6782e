public import CairnKit
public import Hummingbird
import HummingbirdWebSocket
public import Logging
import Scheduler
import ServiceLifecycle
import NIOConcurrencyHelpers
import NIOCore
import Foundation

/// The service `cairn serve` runs, as one application: the HTTP routes, the
/// sync socket, the document hub's poller and (unless configured away) the
/// cron scheduler, started and stopped together (docs/operations.md,
/// "Stopping the service").
///
/// `logger` is the application's (every request's line derives from it);
/// `nil`: Hummingbird's, at `LOG_LEVEL`. `listening` is told the port once
/// the server listens: the one asked for, or the one the system chose for
/// port 0 (so tests and scripts never guess a free port).
public func makeApplication(
    store: Store, configuration: ServerConfiguration, draining: Draining = Draining(), logger: Logger? = nil,
    report: @escaping @Sendable (String) -> Void = { _ in },
    listening: @escaping @Sendable (_ port: Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    // One registry for the routes, the sync hub and the scheduler: what GET /metrics prints.
    let metrics = ServerMetrics(store: store)
    let hub = DocumentHub(store: store, metrics: metrics, outboxBytes: configuration.limits.socketQueueBytes)
    var services: [any Service] = [HubPoller(hub: hub)]
    if configuration.runScheduler {
        services.append(SchedulerService(scheduler: store.scheduler(
            catchUpWindow: configuration.catchUpWindow,
            report: { failure in
                report("scheduler: \(failure)")
                metrics.schedulerFailed(failure)
            },
            onTick: { metrics.schedulerTicked($0) }), clock: configuration.schedulerClock))
    }
    return Application(
        router: makeServiceRouter(store: store, configuration: configuration, draining: draining, metrics: metrics, hub: hub),
        server: .http1WebSocketUpgrade(
            webSocketRouter: makeSyncRouter(
                store: store, configuration: configuration, hub: hub, metrics: metrics, draining: draining),
            // Frames as large as a message: Yjs clients send a whole update in one frame.
            // The idle timeout covers HTTP connections, not a sync socket once
            // upgraded: an editor may sit idle for hours.
            configuration: .init(
                http1: .init(idleTimeout: TimeAmount(configuration.limits.idleTimeout)),
                ws: .init(maxFrameSize: configuration.limits.socketMessageBytes))),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "cairn"),
        services: services,
        onServerRunning: { channel in await listening(channel.localAddress?.port ?? configuration.port) },
        logger: logger)
}

/// Every HTTP route `cairn serve` answers: the API (`makeRouter`) and the
/// web page (docs/page.md), whose cron input select edits documents
/// through `hub`, the sync socket's hub.
func makeServiceRouter(
    store: Store, configuration: ServerConfiguration, draining: Draining, metrics: ServerMetrics, hub: DocumentHub
) -> Router<BasicRequestContext> {
    let router = makeRouter(store: store, configuration: configuration, draining: draining, metrics: metrics)
    addPages(to: router, store: store, hub: hub, limits: configuration.limits, metrics: metrics)
    return router
}

/// The same routes with a hub of their own, for a caller with no sync
/// socket to share it with: a driver of the routes in process (the HTTP
/// fuzz target, Fuzz/README.md).
public func makeServiceRouter(store: Store, configuration: ServerConfiguration) -> Router<BasicRequestContext> {
    let metrics = ServerMetrics(store: store)
    return makeServiceRouter(
        store: store, configuration: configuration, draining: Draining(), metrics: metrics,
        hub: DocumentHub(store: store, metrics: metrics, outboxBytes: configuration.limits.socketQueueBytes))
}

/// Runs `makeApplication` until SIGTERM or SIGINT, then shuts down
/// gracefully: new requests get 503, in-flight ones (appends included)
/// finish and are answered, sockets close with 1001 (going away), and
/// whatever is still running after `drainTime` is cancelled.
///
/// Secure by default: with no token in the store the API is open, so it
/// listens only on loopback, and refuses (`ServerStartError`) any other
/// address. `started` is told, before the service runs, whether the API is
/// open; `listening`, the port once it listens (see `makeApplication`).
public func runServer(
    store: Store, configuration: ServerConfiguration, drainTime: Duration = .seconds(4), logger: Logger? = nil,
    report: @escaping @Sendable (String) -> Void = { _ in }, started: (_ apiIsOpen: Bool) -> Void = { _ in },
    listening: @escaping @Sendable (_ port: Int) async -> Void = { _ in }
) async throws {
    let open = try !store.hasTokens()
    if open && !ServerConfiguration.isLoopback(configuration.host) {
        throw ServerStartError.openOnNetwork(host: configuration.host)
    }
    started(open)
    let draining = Draining()
    let app = makeApplication(
        store: store, configuration: configuration, draining: draining, logger: logger, report: report, listening: listening)
    var group = ServiceGroupConfiguration(
        services: [.init(service: app), .init(service: DrainGate(draining: draining))],
        gracefulShutdownSignals: [.sigterm, .sigint], logger: app.logger)
    group.maximumGracefulShutdownDuration = drainTime
    do {
        try await ServiceGroup(configuration: group).run()
    } catch let error as IOError where error.errnoCode == EADDRINUSE {
        throw ServerStartError.addressInUse(host: configuration.host, port: configuration.port)
    }
}

/// Whether the service is shutting down: from then on, new requests get 503.
public final class Draining: Sendable {
    private let flag = NIOLockedValueBox(false)
    /// What to do when draining begins: each open sync socket's close with 1001.
    private let actions = NIOLockedValueBox<(next: Int, pending: [Int: @Sendable () async -> Void])>((0, [:]))
    public init() {}
    public var isOn: Bool { flag.withLockedValue { $0 } }
    /// From now on, new requests get 503.
    public func begin() { flag.withLockedValue { $0 = true } }

    /// Registers `action` for when draining begins; returns what `unregister` takes.
    func register(_ action: @escaping @Sendable () async -> Void) -> Int {
        actions.withLockedValue { state in
            state.next += 1
            state.pending[state.next] = action
            return state.next
        }
    }

    func unregister(_ id: Int) { _ = actions.withLockedValue { $0.pending.removeValue(forKey: id) } }

    /// Begins draining and runs every registered action, all at once (one
    /// slow socket must not hold the others' goodbyes).
    func drain() async {
        begin()
        let all = actions.withLockedValue { state in
            defer { state.pending.removeAll() }
            return Array(state.pending.values)
        }
        await withTaskGroup(of: Void.self) { group in
            for action in all { group.addTask { await action() } }
        }
    }
}

/// Told first when the group shuts down (services stop in reverse order),
/// so requests arriving while the server drains are refused, not started.
struct DrainGate: Service {
    let draining: Draining

    func run() async throws {
        try? await gracefulShutdown()
        await draining.drain()
    }
}

/// Answers 503 once the service is draining.
struct RefuseWhileDraining: RouterMiddleware {
    typealias Context = BasicRequestContext
    let draining: Draining

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !draining.isOn else {
            throw APIError(status: .serviceUnavailable, field: nil, message: "the service is shutting down")
        }
        return try await next(request, context)
    }
}

/// Writes that do not come through the hub (the CLI, another process, a
/// publish) reach open rooms within half a second.
struct HubPoller: Service {
    let hub: DocumentHub

    func run() async throws {
        // Stopping is how it ends, not a failure: the group would report a throw.
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: .milliseconds(500))
                await hub.poll()
            }
        }
    }
}

/// The cron scheduler, for as long as the service runs.
struct SchedulerService: Service {
    let scheduler: Scheduler
    let clock: SchedulerClock

    func run() async throws {
        await cancelWhenGracefulShutdown { await scheduler.run(clock: clock) }
    }
}

/// Why the service would not start.
public enum ServerStartError: Error, CustomStringConvertible {
    /// No token in the store, and an address beyond loopback.
    case openOnNetwork(host: String)
    /// Another process listens there already.
    case addressInUse(host: String, port: Int)

    public var description: String {
        switch self {
        case .addressInUse(let host, let port):
            return "cannot listen on \(host):\(port): another process is listening there (--port 0 takes any free port)"
        case .openOnNetwork(let host):
            return "refusing to listen on \(host) with no token in the store: the API would be open to the network. "
                + "Make one first: cairn token create --project PROJECT --role worker"
        }
    }
}
