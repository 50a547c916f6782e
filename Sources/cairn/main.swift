import ArgumentParser
import Foundation

// Exit statuses are part of the CLI contract (docs/cli.md): 0 success,
// 1 input rejected or a runtime failure, 2 usage error. ArgumentParser's own
// usage status (64) is mapped to 2 here, in one place.
func runCairn() async -> Int32 {
    do {
        var command = try Cairn.parseAsRoot()
        if var asyncCommand = command as? any AsyncParsableCommand {
            try await asyncCommand.run()
        } else {
            try command.run()
        }
        return 0
    } catch let exit as ExitCode {
        return exit.rawValue
    } catch let failure as CommandFailure {
        FileHandle.standardError.write(Data("cairn: \(failure.message)\n".utf8))
        return failure.status
    } catch {
        let code = Cairn.exitCode(for: error)
        let message = Cairn.fullMessage(for: error)
        if code == .success {
            if !message.isEmpty { print(message) }
            return 0
        }
        if code == .validationFailure {
            FileHandle.standardError.write(Data("\(message)\n".utf8))
            return 2
        }
        // Any other error is a runtime failure: one line, status 1.
        FileHandle.standardError.write(Data("cairn: \(String(describing: error))\n".utf8))
        return 1
    }
}

exit(await runCairn())
