public import Encoding

/// Why an update could not be applied. A document that throws one is left
/// exactly as it was before the call.
public enum YDocError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformed(String)
    case unsupportedContent(ref: UInt8, offset: Int)
    case impossibleClock(client: UInt64, clock: UInt64)
    case truncated(ByteDecodingError)

    public var description: String {
        switch self {
        case .malformed(let why): return "malformed update: \(why)"
        case let .unsupportedContent(ref, offset): return "unknown content type \(ref) at byte \(offset)"
        case let .impossibleClock(client, clock): return "impossible clock \(clock) for client \(client)"
        case .truncated(let error): return "malformed update: \(error)"
        }
    }
}
