import ArgumentParser
import Checkpoints

/// `workbench convert IN OUT`: between .pth and safetensors, by the output's extension.
struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert a checkpoint between torch.save's zip format (.pth/.pt) and safetensors.",
        discussion: "The output format follows OUT's extension. Values keep their dtype.")

    @Argument(help: "The checkpoint to read.") var input: String
    @Argument(help: "The file to write (.pth, .pt or .safetensors); written atomically.") var output: String
    @OptionGroup var unwrapOptions: UnwrapOptions

    func run() throws {
        let stateDict = try unwrapOptions.withCommandLineRemedies {
            try Checkpoint.load(path: input, options: unwrapOptions.loadOptions)
        }
        try Checkpoint.save(stateDict, to: output)
        print("wrote \(stateDict.count) tensors to \(output) (\(try Checkpoint.detectFormat(path: output)))")
    }
}
