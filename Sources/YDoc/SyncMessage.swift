import Encoding

/// The y-protocols messages that keep two documents in sync (y-protocols
/// `sync.js`): a peer sends its state vector (step 1), the other answers
/// with what it lacks (step 2), and then every change travels as an update.
/// On the wire each is wrapped in a top-level message of type 0 (sync);
/// type 1 is awareness (presence), relayed untouched.
public enum SyncMessage: Equatable, Sendable {
    case step1(stateVector: [UInt8])
    case step2(update: [UInt8])
    case update([UInt8])

    static let messageSync: UInt64 = 0
    public static let messageAwareness: UInt64 = 1

    /// The whole frame: `varuint 0 · varuint step · varbytes payload`.
    public func encoded() -> [UInt8] {
        var w = ByteWriter()
        w.writeVarUInt(Self.messageSync)
        switch self {
        case .step1(let sv):
            w.writeVarUInt(UInt64(0))
            w.writeVarBytes(sv)
        case .step2(let update):
            w.writeVarUInt(UInt64(1))
            w.writeVarBytes(update)
        case .update(let update):
            w.writeVarUInt(UInt64(2))
            w.writeVarBytes(update)
        }
        return w.bytes
    }

    /// A frame: a sync message, or another top-level type (awareness, auth...) to relay or ignore.
    public enum Frame: Equatable, Sendable {
        case sync(SyncMessage)
        case other(type: UInt64)
    }

    public static func decode(_ bytes: [UInt8]) throws(YDocError) -> Frame {
        var r = ByteReader(bytes)
        do {
            let type = try r.readVarUInt()
            guard type == messageSync else { return .other(type: type) }
            let step = try r.readVarUInt()
            let payload = try r.readVarBytes()
            switch step {
            case 0: return .sync(.step1(stateVector: payload))
            case 1: return .sync(.step2(update: payload))
            case 2: return .sync(.update(payload))
            default: throw YDocError.malformed("unknown sync step \(step)")
            }
        } catch let error as YDocError {
            throw error
        } catch let error as ByteDecodingError {
            throw .truncated(error)
        } catch {
            throw .malformed("\(error)")
        }
    }
}
