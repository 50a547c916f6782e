public import ArgumentParser
import CairnKit
public import EventLog
import Foundation
import JSON

extension Cairn {
    struct TokenCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "token",
            abstract: "Make, list and revoke the API's bearer tokens.",
            discussion: """
                A token belongs to one project and has one role: worker (creates, claims and reports runs, \
                reads runs and dataclips), editor (also syncs documents and publishes workflows) or viewer \
                (only reads). Only the SHA-256 of its secret is stored; the secret is printed once, by create. \
                A revocation holds for a running service at once.
                """,
            subcommands: [Create.self, List.self, Revoke.self])
    }
}

extension Role: ExpressibleByArgument {}

extension Cairn.TokenCommand {
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a token and print its secret, once.")

        @Option(help: "The project the token acts on.")
        var project: String

        @Option(help: "worker, editor or viewer.")
        var role: Role

        @Option(help: "A name to recognize it by (in lists and the audit trail).")
        var name: String?

        @Option(help: "How long it lasts: a number and a unit, s, m, h, d or w (e.g. 90d). Default: until revoked.")
        var expires: String?

        @OptionGroup var data: DataOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            if let expires, TokenDuration.seconds(expires) == nil {
                throw ValidationError("--expires must be a number and a unit (s, m, h, d, w), e.g. 90d; got '\(expires)'")
            }
        }

        func run() async throws {
            let store = try data.openStore()
            let expiresAt = expires.flatMap(TokenDuration.seconds).map { seconds in
                Timestamp(microseconds: Timestamp.now().microseconds + seconds * 1_000_000)
            }
            if let expiresAt, !Timestamp.accepted.contains(expiresAt.microseconds) {
                throw CommandFailure("--expires \(expires ?? ""): too far ahead (the latest expiry Cairn keeps is before 2200)", status: 2)
            }
            let issued: IssuedToken
            do {
                issued = try store.createToken(projectId: project, role: role, name: name, expiresAt: expiresAt, actor: .operator)
            } catch let error as TokenError {
                throw CommandFailure("token:created: \(error)")
            }
            let token = issued.token
            if output.json {
                printJSONValue(.object([
                    ("id", .string(token.id)), ("secret", .string(issued.secret)), ("project", .string(token.projectId)),
                    ("role", .string(token.role.rawValue)), ("name", token.name.map(JSONValue.string) ?? .null),
                    ("expires_at", token.expiresAt.map { .string($0.iso8601) } ?? .null),
                ]))
            } else {
                print(issued.secret)
                FileHandle.standardError.write(Data("""
                    cairn: token \(token.id) (\(token.role.rawValue) of project \(token.projectId)\
                    \(token.expiresAt.map { ", expires \($0.iso8601)" } ?? "")): the secret above is shown only now; \
                    send it as 'Authorization: Bearer SECRET'\n
                    """.utf8))
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (never their secrets).")

        @Option(help: "Only this project's tokens.")
        var project: String?

        @OptionGroup var data: DataOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let store = try data.openStore()
            let now = Timestamp.now()
            let tokens = try store.tokens(projectId: project)
            if output.json {
                printJSONValue(.array(tokens.map { TokenView.json($0.token, lastUsed: $0.lastUsed, now: now) }))
                return
            }
            if tokens.isEmpty {
                print(project.map { "no tokens in project \($0)" } ?? "no tokens")
                return
            }
            print(table(
                header: ["ID", "PROJECT", "ROLE", "NAME", "STATE", "CREATED", "EXPIRES", "LAST USED"],
                rows: tokens.map { token, used in
                    [token.id, token.projectId, token.role.rawValue, token.name ?? "", TokenView.state(token, now: now),
                     token.createdAt.iso8601, token.expiresAt?.iso8601 ?? "never", used?.iso8601 ?? "never"]
                }))
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token: it authenticates nobody from now on.")

        @Argument(help: "The token's id (tok_..., from `cairn token list`).")
        var id: String

        @OptionGroup var data: DataOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let store = try data.openStore()
            let token: StoredToken
            do {
                token = try store.revokeToken(id, actor: .operator)
            } catch let error as TokenError {
                throw CommandFailure("token:revoked: \(error)")
            }
            if output.json {
                printJSONValue(TokenView.json(token, lastUsed: nil, now: .now()))
            } else {
                print("revoked \(token.id) (\(token.role.rawValue) of project \(token.projectId))")
            }
        }
    }
}

/// A token as `token list --json` shows it.
enum TokenView {
    static func state(_ token: StoredToken, now: Timestamp) -> String {
        if token.revokedAt != nil { return "revoked" }
        if let expires = token.expiresAt, now >= expires { return "expired" }
        return "active"
    }

    static func json(_ token: StoredToken, lastUsed: Timestamp?, now: Timestamp) -> JSONValue {
        func time(_ t: Timestamp?) -> JSONValue { t.map { .string($0.iso8601) } ?? .null }
        return .object([
            ("id", .string(token.id)), ("project", .string(token.projectId)), ("role", .string(token.role.rawValue)),
            ("name", token.name.map(JSONValue.string) ?? .null), ("state", .string(state(token, now: now))),
            ("created_at", time(token.createdAt)), ("expires_at", time(token.expiresAt)),
            ("revoked_at", time(token.revokedAt)), ("last_used_at", time(lastUsed)),
        ])
    }
}

/// `--expires`: a whole number and a unit.
enum TokenDuration {
    static func seconds(_ text: String) -> Int64? {
        guard let unit = text.last, let count = Int64(text.dropLast()), count > 0 else { return nil }
        let scale: Int64
        switch unit {
        case "s": scale = 1
        case "m": scale = 60
        case "h": scale = 3_600
        case "d": scale = 86_400
        case "w": scale = 604_800
        default: return nil
        }
        let (seconds, overflow) = count.multipliedReportingOverflow(by: scale)
        // Beyond a thousand years is a typo, and would overflow microseconds.
        return overflow || seconds > 1_000 * 366 * 86_400 ? nil : seconds
    }
}
