/// A struct's identity: the client that created it and that client's clock
/// (one tick per unit of content) at its first unit.
public struct ID: Hashable, Sendable, CustomStringConvertible {
    public var client: UInt64
    public var clock: UInt64

    public init(client: UInt64, clock: UInt64) {
        self.client = client
        self.clock = clock
    }

    public var description: String { "\(client):\(clock)" }
}
