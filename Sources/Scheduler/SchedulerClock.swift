public import Foundation

/// The time a scheduler ticks by: the wall clock, or, for the crash test's
/// service mode, a simulated clock that runs `speed` times faster, from
/// `simulatedStart` at the real instant `realStart`. Every process given
/// the same three values agrees on the simulated time, across restarts, so
/// two services on one folder tick the same minutes in a second or less
/// each (docs/reliability.md, "Crash tests").
public struct SchedulerClock: Sendable, Equatable {
    public let simulatedStart: Date
    public let realStart: Date
    public let speed: Double

    /// The wall clock.
    public static let wall = SchedulerClock(simulatedStart: Date(timeIntervalSince1970: 0), realStart: Date(timeIntervalSince1970: 0), speed: 1)

    public init(simulatedStart: Date, realStart: Date, speed: Double) {
        self.simulatedStart = simulatedStart
        self.realStart = realStart
        self.speed = speed
    }

    public var isWall: Bool { self == .wall }

    /// The time now, by this clock.
    public func now() -> Date {
        isWall ? Date() : simulatedStart.addingTimeInterval(Date().timeIntervalSince(realStart) * speed)
    }
}

extension SchedulerClock {
    /// Reads `SIMULATED_START REAL_START SPEED`: an ISO-8601 UTC time (to the
    /// second), the real instant it stands for in Unix seconds, and a speed
    /// from 1 to 3,600. Anything else is refused with what was wrong.
    public static func parse(_ text: String) throws(SchedulerClockError) -> SchedulerClock {
        let fields = text.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count == 3 else { throw .malformed(text, "three fields, SIMULATED_START REAL_START SPEED") }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        guard let simulated = formatter.date(from: String(fields[0])) else {
            throw .malformed(text, "SIMULATED_START \(fields[0]) is not a time like 2030-01-01T00:00:00Z")
        }
        guard let real = Double(fields[1]), real.isFinite, real > 0 else {
            throw .malformed(text, "REAL_START \(fields[1]) is not Unix seconds")
        }
        guard let speed = Double(fields[2]), speed.isFinite, (1...3_600).contains(speed) else {
            throw .malformed(text, "SPEED \(fields[2]) is not a number from 1 to 3600")
        }
        return SchedulerClock(simulatedStart: simulated, realStart: Date(timeIntervalSince1970: real), speed: speed)
    }
}

public enum SchedulerClockError: Error, CustomStringConvertible {
    case malformed(String, String)
    public var description: String {
        switch self {
        case .malformed(let text, let why): return "scheduler clock \"\(text)\": expected \(why)"
        }
    }
}
