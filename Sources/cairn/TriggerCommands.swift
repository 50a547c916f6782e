import ArgumentParser
import CairnKit
import Foundation
import JSON

extension Cairn {
    struct TriggerCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "trigger", abstract: "Settings of a trigger that live outside its workflow.",
            subcommands: [Key.self])
    }
}

extension Cairn.TriggerCommand {
    struct Key: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give a webhook trigger a key (printed once), or --clear it.",
            discussion: """
                With a key, `POST /i/TRIGGER` needs it in the x-api-key header (401 otherwise); without one, \
                anyone who can reach the service may fire the trigger. Only the key's SHA-256 is stored. \
                A new key replaces the old one at once.
                """)

        @Argument(help: "The webhook trigger's id.")
        var trigger: String

        @Flag(help: "Remove the key: requests need none from now on.")
        var clear = false

        @OptionGroup var data: DataOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let store = try data.openStore()
            do {
                if clear {
                    let had = try store.clearWebhookKey(trigger)
                    if output.json {
                        printJSONValue(.object([("trigger_id", .string(trigger)), ("cleared", .bool(had))]))
                    } else {
                        print(had ? "trigger \(trigger): key removed" : "trigger \(trigger) had no key")
                    }
                    return
                }
                let key = try store.newWebhookKey(trigger)
                if output.json {
                    printJSONValue(.object([("trigger_id", .string(trigger)), ("key", .string(key))]))
                } else {
                    print(key)
                    FileHandle.standardError.write(Data(
                        "cairn: trigger \(trigger) now needs this key in x-api-key; it is shown only now\n".utf8))
                }
            } catch let error as WebhookKeyError {
                throw CommandFailure(error.description)
            }
        }
    }
}
