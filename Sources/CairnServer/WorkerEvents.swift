import EventLog

/// What `POST /api/v1/runs/{id}/events` accepts: events about the path's
/// run only. A token may act on its own project's runs, so everything else
/// an event could touch must be reachable only through that run: project
/// settings (`project:configured`) and dataclip wipes (`dataclip:wiped`)
/// are an operator's, through the CLI; runs are created with
/// `POST /api/v1/runs`, which checks the workflow's project. The dataclips
/// a run event names are checked by the event log itself: they must belong
/// to the run's project (`BatchWriter.requireDataclip`).
enum WorkerEvents {
    static let runScoped: Set<EventKind> = [
        .runClaimed, .runStarted, .stepStarted, .stepCompleted, .runCompleted, .runLogged, .runLost, .runCancelled,
    ]

    /// Why the event named `name` may not be posted to a run's events, or `nil` when it may.
    static func refusal(of name: String) -> EventLogError? {
        guard let kind = EventKind(rawValue: name), !runScoped.contains(kind) else { return nil }
        switch kind {
        case .runCreated: return .notAcceptedFromWorkers("run:created on a run's events (POST /api/v1/runs creates runs)")
        default: return .notAcceptedFromWorkers("\(name) on a run's events (an operator's, through the CLI)")
        }
    }
}
