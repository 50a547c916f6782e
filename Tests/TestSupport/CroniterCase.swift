/// One case of `fixtures/cron/croniter-*.json` (see fixtures/README.md).
public struct CroniterCase: Decodable, Sendable, CustomStringConvertible {
    public let expr: String
    public let start: String
    public let tz: String
    public let next: [String]?
    public let prev: [String]?
    public let invalid: Bool?
    public let error: String?

    public var description: String { "'\(expr)' from \(start) in \(tz)" }

    struct File: Decodable { let cases: [CroniterCase] }

    /// The cases of a fixture file, e.g. `cron/croniter-cases.json`.
    public static func load(_ path: String) throws -> [CroniterCase] {
        try Fixtures.decode(File.self, path).cases
    }
}
