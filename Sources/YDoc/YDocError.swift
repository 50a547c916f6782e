public import Encoding

/// Why an update could not be applied. A document that throws one is left
/// exactly as it was before the call.
public enum YDocError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformed(String)
    case unsupportedContent(ref: UInt8, offset: Int)
    case impossibleClock(client: UInt64, clock: UInt64)
    case truncated(ByteDecodingError)
    /// The update would place a nested type deeper than `limit`
    /// (`Doc.maxNestingDepth`); the struct at (client, clock) is the first
    /// that would.
    case nestedTooDeeply(client: UInt64, clock: UInt64, limit: Int)
    /// The update names more than `limit` clients (`Doc.maxClients`), or
    /// would bring the document to `count` clients, past it.
    case tooManyClients(count: Int, limit: Int)

    public var description: String {
        switch self {
        case .malformed(let why): return "malformed update: \(why)"
        case let .unsupportedContent(ref, offset): return "unknown content type \(ref) at byte \(offset)"
        case let .impossibleClock(client, clock): return "impossible clock \(clock) for client \(client)"
        case .truncated(let error): return "malformed update: \(error)"
        case let .nestedTooDeeply(client, clock, limit):
            return "update refused: the type at (\(client), \(clock)) would nest deeper than \(limit) levels"
        case let .tooManyClients(count, limit):
            return "update refused: \(count) clients, more than the \(limit) a document may hold"
        }
    }
}
