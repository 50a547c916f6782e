public import Foundation

/// The time a scheduler ticks by: the wall clock, or, for the crash test's
/// service mode, a simulated clock that runs `speed` times faster, from
/// `simulatedStart` at the real instant `realStart`. Every process given
/// the same three values agrees on the simulated time, across restarts, so
/// two services on one folder tick the same minutes a few seconds apart
/// (docs/reliability.md, "Crash tests").
///
/// A simulated clock must not tick a minute the folder will one day see
/// for real: a cron run's id is derived from its trigger and minute, so
/// the real fire would be a duplicate and never run. So the simulated time
/// starts at least `minimumLead` after the real one, and stays near it.
public struct SchedulerClock: Sendable, Equatable {
    public let simulatedStart: Date
    public let realStart: Date
    public let speed: Double

    /// How far ahead of the real time a simulated clock must start.
    public static let minimumLead: TimeInterval = 50 * 365 * 86_400
    /// The fastest a simulated clock may run: the scheduler's five-minute
    /// grace for late ticks is then five real seconds, longer than a slow
    /// write, so a simulated clock does not turn a slow tick into downtime.
    public static let maximumSpeed: Double = 60
    /// How far `realStart` may lie from the moment the clock is made.
    public static let maximumRealOffset: TimeInterval = 86_400

    /// The wall clock.
    public static let wall = SchedulerClock(unchecked: Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: 0), 1)

    /// A simulated clock; refused (with what was wrong) unless `speed` is
    /// from 1 to `maximumSpeed`, `realStart` within a day of now, and
    /// `simulatedStart` at least `minimumLead` after now and before year 9000.
    public init(simulatedStart: Date, realStart: Date, speed: Double, now: Date = Date()) throws(SchedulerClockError) {
        guard speed.isFinite, (1...Self.maximumSpeed).contains(speed) else {
            throw .outOfRange("SPEED \(speed) is not a number from 1 to \(Int(Self.maximumSpeed))")
        }
        guard realStart.timeIntervalSince1970.isFinite, abs(realStart.timeIntervalSince(now)) <= Self.maximumRealOffset else {
            throw .outOfRange("REAL_START \(realStart.timeIntervalSince1970) is not within a day of now (\(now.timeIntervalSince1970))")
        }
        let latest = Date(timeIntervalSince1970: 221_845_392_000)  // 9000-01-01T00:00:00Z
        guard simulatedStart.timeIntervalSince(now) >= Self.minimumLead, simulatedStart < latest else {
            throw .outOfRange(
                "SIMULATED_START \(simulatedStart) must be at least 50 years after now and before 9000: a simulated minute must never be one the folder will tick for real")
        }
        self.init(unchecked: simulatedStart, realStart, speed)
    }

    private init(unchecked simulatedStart: Date, _ realStart: Date, _ speed: Double) {
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
    /// Reads `SIMULATED_START REAL_START SPEED`: a UTC time written
    /// `YYYY-MM-DDTHH:MM:SSZ`, the real instant it stands for in Unix
    /// seconds, and a speed; each checked as `init` says.
    public static func parse(_ text: String, now: Date = Date()) throws(SchedulerClockError) -> SchedulerClock {
        let fields = text.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count == 3 else { throw .malformed(text, "three fields, SIMULATED_START REAL_START SPEED") }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        guard fields[0].hasSuffix("Z"), let simulated = formatter.date(from: String(fields[0])) else {
            throw .malformed(text, "SIMULATED_START \(fields[0]) to be a UTC time like 2100-01-01T00:00:00Z")
        }
        guard fields[1].allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }), let real = Double(fields[1]) else {
            throw .malformed(text, "REAL_START \(fields[1]) to be Unix seconds")
        }
        guard fields[2].allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }), let speed = Double(fields[2]) else {
            throw .malformed(text, "SPEED \(fields[2]) to be a number")
        }
        return try SchedulerClock(simulatedStart: simulated, realStart: Date(timeIntervalSince1970: real), speed: speed, now: now)
    }
}

public enum SchedulerClockError: Error, CustomStringConvertible, Equatable {
    case malformed(String, String)
    case outOfRange(String)
    public var description: String {
        switch self {
        case .malformed(let text, let why): return "scheduler clock \"\(text)\": expected \(why)"
        case .outOfRange(let why): return "scheduler clock refused: \(why)"
        }
    }
}
