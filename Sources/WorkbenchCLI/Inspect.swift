import ArgumentParser
import Checkpoints
import NN
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

    @Option(help: "Also load the file into this model (resnet18, resnet34, resnet50) and report the result.")
    var model: String?

    @Option(help: "The model's classes (with --model).") var numClasses = 1000
    @Option(help: "The model's stem width; stages use 1x, 2x, 4x, 8x (with --model).") var baseChannels = 64

    func run() throws {
        print(try CheckpointSummary(path: file, options: unwrapOptions.loadOptions).text())
        guard let model else { return }
        let builders = ["resnet18": resnet18, "resnet34": resnet34, "resnet50": resnet50]
        guard let build = builders[model] else {
            throw ValidationError("unknown model '\(model)': use resnet18, resnet34 or resnet50")
        }
        let network = build(numClasses, false, baseChannels)
        try network.loadCheckpoint(path: file, options: unwrapOptions.loadOptions)
        print("loaded into \(model) (strict): \(network.parameterCount()) parameters, all keys matched")
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
