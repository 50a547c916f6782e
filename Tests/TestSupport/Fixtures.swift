public import Foundation

/// The project's `fixtures/` folder, found from this file's place in the
/// checkout, so tests run from any working directory of a fresh clone.
public enum Fixtures {
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // TestSupport
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // checkout
        .appendingPathComponent("fixtures")

    public static func url(_ relativePath: String) -> URL {
        root.appendingPathComponent(relativePath)
    }

    public static func data(_ relativePath: String) throws -> Data {
        try Data(contentsOf: url(relativePath))
    }

    /// A fixture decoded from JSON.
    public static func decode<T: Decodable>(_ type: T.Type, _ relativePath: String) throws -> T {
        try JSONDecoder().decode(type, from: data(relativePath))
    }

    /// The sample workflow (`workflows/daily-report.json`) as JSON text, in
    /// `project` under `workflowId`. With `copy` other than 1, every job,
    /// trigger and edge id gets that digit in its first place (`a1…` →
    /// `a<copy>…`): ids belong to the workflow that published them first, so
    /// each copy of the sample in one store needs its own.
    public static func sampleWorkflowJSON(project: String, workflowId: String, copy: Int = 1) throws -> String {
        var text = try String(contentsOf: url("workflows/daily-report.json"), encoding: .utf8)
            .replacingOccurrences(of: "4f9e2d1c-aaaa-4bbb-8ccc-000000000001", with: project)
            .replacingOccurrences(of: "7b1c2b4e-0c2d-4f7a-9a51-1d2f3e4a5b60", with: workflowId)
        for prefix in ["a", "c", "e"] {
            text = text.replacingOccurrences(of: "\(prefix)1000000-", with: "\(prefix)\(copy)000000-")
        }
        return text
    }
}
