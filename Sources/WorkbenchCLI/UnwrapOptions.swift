import ArgumentParser
import Checkpoints

/// Options shared by the checkpoint commands for wrapped and DataParallel checkpoints.
struct UnwrapOptions: ParsableArguments {
    @Flag(help: "Accept a checkpoint that wraps its state dict ({\"state_dict\": ...} or {\"model\": ...}).")
    var unwrap = false

    @Option(help: "Remove this prefix from every key (e.g. \"module.\" for DataParallel checkpoints).")
    var stripPrefix: String?

    var loadOptions: CheckpointLoadOptions { CheckpointLoadOptions(unwrap: unwrap, stripPrefix: stripPrefix) }
}

extension UnwrapOptions {
    /// Runs `body`, restating a checkpoint error's remedy in this command line's flags (the library's messages name
    /// its Swift options, `unwrap: true` and `stripPrefix:`, which a command-line user cannot pass).
    @discardableResult
    func withCommandLineRemedies<R>(_ body: () throws -> R) throws -> R {
        do {
            return try body()
        } catch let error as CheckpointError {
            switch error {
            case let .wrappedStateDict(path, candidates, otherKeys):
                let inner = candidates.map { "'\($0)'" }.joined(separator: ", ")
                let others = otherKeys.isEmpty ? "" : " (other entries: \(otherKeys.joined(separator: ", ")))"
                throw CommandLineError(
                    "\(path): this is a training checkpoint that wraps the state dict under \(inner)\(others); "
                        + "pass --unwrap to load the state dict inside it")
            case let .prefixedKeys(path, prefix, count):
                throw CommandLineError(
                    "\(path): all \(count) keys start with '\(prefix)' (saved from nn.DataParallel or "
                        + "DistributedDataParallel); pass --strip-prefix \(prefix)")
            default:
                throw error
            }
        }
    }
}

/// A runtime error whose message is already in the command line's terms.
struct CommandLineError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
