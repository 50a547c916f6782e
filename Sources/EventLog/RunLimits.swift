/// What one run may hold. A run's record (the `runs` projection) holds
/// every step, with its error text, and is written whole by every batch
/// that touches the run; nothing bounded it. One worker could grow a run
/// past 2 GiB (a trap, session 23's review) and past LMDB's 4 GiB value
/// limit, after which no catch-up of the folder could write it: every
/// project's projections stopped. Long before that, each batch rewrote
/// gigabytes. With the worker protocol's cuts of each field, these bounds
/// keep a record under about a hundred mebibytes (docs/events.md, "Bounds
/// on numbers from outside").
public enum RunLimits {
    /// Ten times the jobs a workflow may have, far past the tens of steps
    /// of the reference platform's runs. Not a bound the graph implies (a
    /// job reached by several paths may run once for each, and paths can
    /// multiply): a worker refused a step can still complete the run.
    public static let maxSteps = 10_000
    /// The error text (`error_message`) all of a run's steps may keep. A
    /// step completing past it keeps what is left, cut on a Unicode
    /// scalar's boundary (nothing, once it is spent): cut, not refused, as
    /// each message is cut to `WorkerProtocol.textBytes`, so a worker can
    /// still finish its run. The log keeps the cut text.
    public static let stepErrorTextBytes = 64 << 20
}

extension RunAggregate {
    /// The bytes of error text the run's steps keep.
    public var stepErrorTextBytes: Int { steps.reduce(0) { $0 + ($1.errorMessage?.utf8.count ?? 0) } }
}
