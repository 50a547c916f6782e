/// A run's lifecycle (docs/semantics.md):
/// `available → claimed → started → {success, failed, crashed, cancelled,
/// killed, exception, lost}`; `available|claimed|started → lost`;
/// `available → cancelled`. Nothing leaves a final state.
public enum RunState: String, Sendable, CaseIterable, Codable {
    case available, claimed, started
    case success, failed, crashed, cancelled, killed, exception, lost

    public var isFinal: Bool {
        switch self {
        case .available, .claimed, .started: return false
        default: return true
        }
    }

    /// Whether the lifecycle allows going from `self` to `next`.
    public func canMove(to next: RunState) -> Bool {
        switch (self, next) {
        case (.available, .claimed), (.claimed, .started): return true
        case (.available, .lost), (.claimed, .lost), (.available, .cancelled): return true
        case (.started, let final) where final.isFinal: return true
        default: return false
        }
    }

    /// The state a worker's `reason` leads to (`success`, `fail`, `crash`,
    /// `cancel`, `kill`, `exception`, `lost`); final state names are accepted too.
    public init?(reason: String) {
        switch reason {
        case "success": self = .success
        case "fail", "failed": self = .failed
        case "crash", "crashed": self = .crashed
        case "cancel", "cancelled": self = .cancelled
        case "kill", "killed": self = .killed
        case "exception": self = .exception
        case "lost": self = .lost
        default: return nil
        }
    }

    /// The cases in code order, built once: `allCases` makes a new array
    /// at every call, and a replay reads a code at every event.
    static let byCode = allCases
    public var code: UInt8 { UInt8(RunState.byCode.firstIndex(of: self)!) }
    init?(code: UInt8) {
        guard Int(code) < RunState.byCode.count else { return nil }
        self = RunState.byCode[Int(code)]
    }
}

/// A step's exit reasons as workers report them.
public enum StepExitReason: String, Sendable, CaseIterable, Codable {
    case success, fail, crash, kill, exception, cancel

    /// The cases in code order, built once: `allCases` makes a new array
    /// at every call, and a replay reads a code at every event.
    static let byCode = allCases
    public var code: UInt8 { UInt8(StepExitReason.byCode.firstIndex(of: self)!) }
    init?(code: UInt8) {
        guard Int(code) < StepExitReason.byCode.count else { return nil }
        self = StepExitReason.byCode[Int(code)]
    }
}

/// What a project does with dataclip bodies (Lightning's `save_dataclips`).
public enum Retention: String, Sendable, CaseIterable, Codable {
    /// Keep every body (the default).
    case retainAll = "retain_all"
    /// Record dataclips without bodies (`wiped_at` set at creation).
    case eraseAll = "erase_all"
}

/// Dataclip types (docs/semantics.md).
public enum DataclipType: String, Sendable, CaseIterable, Codable {
    case httpRequest = "http_request"
    case global
    case stepResult = "step_result"
    case savedInput = "saved_input"
    case kafka

    /// The cases in code order, built once: `allCases` makes a new array
    /// at every call, and a replay reads a code at every event.
    static let byCode = allCases
    var code: UInt8 { UInt8(DataclipType.byCode.firstIndex(of: self)!) }
    init?(code: UInt8) {
        guard Int(code) < DataclipType.byCode.count else { return nil }
        self = DataclipType.byCode[Int(code)]
    }
}
