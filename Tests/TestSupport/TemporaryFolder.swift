import Foundation

/// A fresh folder under the system temp directory, removed when the value is released.
public final class TemporaryFolder {
    public let path: String

    public init(_ label: String = #function) {
        let name = "cairn-test-\(label.filter { $0.isLetter || $0.isNumber })-\(UUID().uuidString.prefix(8))"
        path = (NSTemporaryDirectory() as NSString).appendingPathComponent(name)
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}
