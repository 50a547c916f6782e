public import JSON

extension Store {
    /// `cursor TRIGGER --json` (and its HTTP twin): the next cron input with
    /// its body; `nil` if no published workflow has the trigger.
    public func cursorView(_ triggerId: String) throws -> JSONValue? {
        guard let input = try projections.nextCronInput(triggerId) else { return nil }
        let body = try input.dataclipId.flatMap { try log.dataclip($0) }.map { Views.dataclip($0)["body"] ?? .null }
        return Views.cursor(input, body: body ?? .null)
    }
}
