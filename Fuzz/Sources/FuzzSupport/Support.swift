import Foundation

/// A property every input must keep. A violation is a finding like a crash:
/// it stops the fuzzer, which writes the input out as a reproducer.
@inline(__always)
public func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("fuzz property violated: \(message())") }
}

/// The main package's `fixtures/` folder: `$CAIRN_FIXTURES` when set
/// (tools/fuzz-all sets it), else found from this source file's place.
public enum Fixtures {
    public static let root: String = {
        if let given = ProcessInfo.processInfo.environment["CAIRN_FIXTURES"], !given.isEmpty { return given }
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("fixtures").path
    }()

    /// The bytes of `fixtures/<relative>`; a missing fixture stops the run (a fuzzer
    /// started without its seed document would silently test less).
    public static func bytes(_ relative: String) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: root + "/" + relative) else {
            fatalError("fixture \(relative) not found under \(root) (set CAIRN_FIXTURES)")
        }
        return [UInt8](data)
    }
}

/// Findings already reported and not fixed yet, by name, from
/// `$CAIRN_FUZZ_TOLERATE` (comma-separated; `tools/fuzz-all --tolerate`): a
/// long run passes over them to look for others. Their reproducers under
/// Fuzz/regressions are replayed without it, so they still fail until fixed.
public enum Tolerated {
    static let names: Set<String> = Set(
        (ProcessInfo.processInfo.environment["CAIRN_FUZZ_TOLERATE"] ?? "").split(separator: ",").map { String($0) })

    public static func contains(_ name: String) -> Bool { names.contains(name) }
}

/// The first `limit` bytes as hex, for messages.
public func hex(_ bytes: [UInt8], limit: Int = 256) -> String {
    let shown = bytes.prefix(limit).map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    return bytes.count > limit ? shown + "… (\(bytes.count) bytes)" : shown
}
