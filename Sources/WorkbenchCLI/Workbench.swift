import ArgumentParser
import Training

/// `workbench`: the command line of the transfer-learning workbench.
@main
struct WorkbenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workbench",
        abstract: "Transfer learning with a Swift engine checked against PyTorch.",
        subcommands: [
            Transfer.self, Train.self, Evaluate.self, Predict.self, Export.self, LessonCommand.self,
            LessonsCommand.self, Grade.self, Hint.self, Reset.self, Watch.self, Verify.self, Check.self, Regress.self,
            Inspect.self, Convert.self, Bench.self,
        ],
        defaultSubcommand: Transfer.self)

    /// ArgumentParser's own `main`, except that an error from a command is printed with the control characters of
    /// any file or class name it quotes escaped (``TerminalText``), line by line.
    static func main() async {
        var command: ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            exit(withError: error)
        }
        do {
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: EscapedError.wrapping(error))
        }
    }
}

/// A command's error whose message is shown escaped; ArgumentParser's own errors and exits pass unchanged.
struct EscapedError: Error, CustomStringConvertible {
    let description: String

    static func wrapping(_ error: Error) -> Error {
        if error is ExitCode || error is CleanExit || error is ValidationError || error is EscapedError {
            return error
        }
        let text = String(describing: error)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            TerminalText.escaped(String($0))
        }
        let escaped = lines.joined(separator: "\n")
        return escaped == text ? error : EscapedError(description: escaped)
    }
}
