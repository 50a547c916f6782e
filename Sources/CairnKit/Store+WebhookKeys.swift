import EventLog
import Foundation

/// Why a webhook trigger's key could not be set.
public enum WebhookKeyError: Error, CustomStringConvertible, Equatable {
    case unknownTrigger(String)
    case notAWebhook(String, type: String)

    public var description: String {
        switch self {
        case .unknownTrigger(let id): return "trigger \(id) is not in any published workflow"
        case let .notAWebhook(id, type): return "trigger \(id) is a \(type) trigger; only webhook triggers take a key"
        }
    }
}

/// A webhook trigger's optional key: when one is set, `POST /i/{trigger}`
/// needs it in `x-api-key` (docs/http.md, "Webhook triggers"). Only its
/// SHA-256 is stored, like a token's; the key is printed once.
extension Store {
    /// Makes a new key for webhook trigger `triggerId`, replacing any
    /// earlier one, and returns it (`whk_` and 256 random bits, base64url).
    public func newWebhookKey(_ triggerId: String) throws -> String {
        try requireWebhook(triggerId)
        let key = "whk_" + Self.newSecret().dropFirst("cairn_".count)
        try environment.write { txn in
            try txn.put(webhookKeys, key: Array(triggerId.utf8), value: Self.hash(secret: key))
        }
        return key
    }

    /// Removes trigger `triggerId`'s key: its requests need none from now on.
    /// Returns whether it had one.
    @discardableResult
    public func clearWebhookKey(_ triggerId: String) throws -> Bool {
        try environment.write { txn in try txn.delete(webhookKeys, key: Array(triggerId.utf8)) }
    }

    /// Whether a request carrying `given` (its `x-api-key`, if any) may fire
    /// trigger `triggerId`: any request when the trigger has no key.
    public func webhookKeyAdmits(_ triggerId: String, given: String?) throws -> Bool {
        guard let stored = try environment.read({ txn in try txn.get(webhookKeys, key: Array(triggerId.utf8)) }) else {
            return true
        }
        guard let given else { return false }
        return Self.hash(secret: given) == stored
    }

    private func requireWebhook(_ triggerId: String) throws {
        guard let trigger = try projections.trigger(triggerId) else { throw WebhookKeyError.unknownTrigger(triggerId) }
        guard trigger.summary.type == "webhook" else {
            throw WebhookKeyError.notAWebhook(triggerId, type: trigger.summary.type)
        }
    }
}
