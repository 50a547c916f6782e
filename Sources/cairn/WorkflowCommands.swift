import ArgumentParser
import CairnKit
import Foundation
import JSON
import Workflows

extension Cairn {
    struct WorkflowCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "workflow", abstract: "Publish workflow snapshots.", subcommands: [Publish.self, Show.self])
    }
}

extension Cairn.WorkflowCommand {
    struct Publish: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a workflow JSON file and store it as snapshot lock_version + 1 if it changed.",
            discussion: "Prints {\"workflow_id\", \"lock_version\", \"changed\"}. Every validation problem is listed with its path.")

        @Argument(help: "The workflow as JSON (id, project_id, name, jobs[], triggers[], edges[], positions).")
        var file: String

        @Flag(help: "Print JSON (the default; taken, as by `doc publish`, so scripts may pass it).")
        var json = false

        @OptionGroup var data: DataOptions

        func run() async throws {
            let bytes = try readInput(file)
            let workflow: Workflow
            do {
                workflow = try WorkflowJSON.decode(bytes)
            } catch {
                throw CommandFailure(describe(error, file: file))
            }
            let store = try data.openStore()
            do {
                let result = try store.publish(workflow)
                printJSONValue(Views.publish(result))
            } catch let error as PublishError {
                if case .invalid(let errors) = error { throw CommandFailure(describe(errors, file: file)) }
                throw CommandFailure("\(file): \(error)")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a published snapshot as JSON.")

        @Argument(help: "The workflow id.")
        var id: String

        @Option(name: .customLong("lock-version"), help: "A version (default: the latest).")
        var lockVersion: UInt32?

        @OptionGroup var data: DataOptions

        func run() async throws {
            let store = try data.openStore()
            guard let snapshot = try store.snapshot(id, lockVersion: lockVersion) else {
                throw CommandFailure("workflow \(id) has no published snapshot\(lockVersion.map { " at lock_version \($0)" } ?? "")")
            }
            print(String(decoding: snapshot.document, as: UTF8.self))
        }
    }
}

/// Every problem on its own line, so a long list stays readable.
func describe(_ errors: WorkflowErrors, file: String) -> String {
    "\(file): \(errors.problems.count) problem(s):\n" + errors.problems.map { "  \($0.path): \($0.message)" }.joined(separator: "\n")
}
