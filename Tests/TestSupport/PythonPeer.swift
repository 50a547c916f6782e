import Foundation

/// A Python process speaking one JSON line per command (the peers under
/// `tools/peers/`), for differential tests against other implementations.
public final class PythonPeer {
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private var buffer = Data()

    /// Starts `tools/peers/<script>`; `nil` when python3 or the script cannot run.
    public init?(script: String) {
        let path = Fixtures.root.deletingLastPathComponent().appendingPathComponent("tools/peers/\(script)").path
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", path]
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        do { try process.run() } catch { return nil }
    }

    deinit {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    /// Sends one command and returns the answer; throws on a peer error.
    @discardableResult
    public func call(_ command: [String: Any]) throws -> [String: Any] {
        var line = try JSONSerialization.data(withJSONObject: command)
        line.append(0x0A)
        input.fileHandleForWriting.write(line)
        while !buffer.contains(0x0A) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { throw PeerError(message: "peer exited") }
            buffer.append(chunk)
        }
        let end = buffer.firstIndex(of: 0x0A)!
        let answer = buffer[buffer.startIndex..<end]
        buffer.removeSubrange(buffer.startIndex...end)
        let object = try JSONSerialization.jsonObject(with: answer) as? [String: Any] ?? [:]
        if let error = object["error"] as? String { throw PeerError(message: error) }
        return object
    }

    public struct PeerError: Error, CustomStringConvertible {
        public let message: String
        public init(message: String) { self.message = message }
        public var description: String { "peer: \(message)" }
    }
}

extension Array where Element == UInt8 {
    public var hex: String { map { String(format: "%02x", $0) }.joined() }

    public init?(hex: String) {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex) ?? hex.endIndex
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        self = bytes
    }
}
