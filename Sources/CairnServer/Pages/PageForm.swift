import Foundation
import Hummingbird

/// A posted form (`application/x-www-form-urlencoded`), small by nature:
/// over `limit` bytes is 413, anything else is read as a form.
struct PageForm {
    static let limit = 64 << 10
    let fields: [String: String]

    subscript(_ name: String) -> String? { fields[name] }

    static func read(_ request: Request) async throws -> PageForm {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch {
            throw PageError(status: .contentTooLarge, message: "a form of the page is at most \(limit) bytes")
        }
        return PageForm(fields: parse(String(buffer: buffer)))
    }

    /// `a=1&b=x+y` → ["a": "1", "b": "x y"]; the first of a repeated name wins.
    static func parse(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String? { s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding }
            guard let name = decode(parts[0]), let value = decode(parts.count > 1 ? parts[1] : "") else { continue }
            if fields[name] == nil { fields[name] = value }
        }
        return fields
    }
}
