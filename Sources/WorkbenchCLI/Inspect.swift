import ArgumentParser
import Checkpoints
import Workbench

/// Options shared by the checkpoint commands for wrapped and DataParallel checkpoints.
struct UnwrapOptions: ParsableArguments {
    @Flag(help: "Accept a checkpoint that wraps its state dict ({\"state_dict\": ...} or {\"model\": ...}).")
    var unwrap = false

    @Option(help: "Remove this prefix from every key (e.g. \"module.\" for DataParallel checkpoints).")
    var stripPrefix: String?

    var loadOptions: CheckpointLoadOptions { CheckpointLoadOptions(unwrap: unwrap, stripPrefix: stripPrefix) }
}

/// `workbench inspect FILE`: keys, dtypes, shapes, counts and format of a checkpoint, read without executing it.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List a checkpoint's keys, dtypes, shapes, parameter count and format (.pth or safetensors).")

    @Argument(help: "A .pth/.pt file written by torch.save, or a .safetensors file.")
    var file: String

    @OptionGroup var unwrapOptions: UnwrapOptions

    func run() throws {
        print(try CheckpointSummary(path: file, options: unwrapOptions.loadOptions).text())
    }
}

/// `workbench convert IN OUT`: between .pth and safetensors, by the output's extension.
struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert a checkpoint between torch.save's zip format (.pth/.pt) and safetensors.",
        discussion: "The output format follows OUT's extension. Values keep their dtype.")

    @Argument(help: "The checkpoint to read.") var input: String
    @Argument(help: "The file to write (.pth, .pt or .safetensors); written atomically.") var output: String
    @OptionGroup var unwrapOptions: UnwrapOptions

    func run() throws {
        let stateDict = try Checkpoint.load(path: input, options: unwrapOptions.loadOptions)
        try Checkpoint.save(stateDict, to: output)
        print("wrote \(stateDict.count) tensors to \(output) (\(try Checkpoint.detectFormat(path: output)))")
    }
}
