import ArgumentParser
import Checkpoints
import NN
import Training

/// `workbench inspect FILE`: keys, dtypes, shapes, counts and format of a checkpoint, read without executing it.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List a checkpoint's keys, dtypes, shapes, parameter count and format (.pth or safetensors).")

    @Argument(
        help: "A .pth/.pt file written by torch.save, or a .safetensors file.",
        completion: .file(extensions: ["pth", "pt", "safetensors"]))
    var file: String

    @OptionGroup var unwrapOptions: UnwrapOptions

    @Option(help: "Also load the file strictly into this model and report the result.")
    var model: ResNetArchitecture?

    @Option(help: "The model's classes (with --model).") var numClasses = 1000
    @Option(help: "The model's stem width; stages use 1x, 2x, 4x, 8x (with --model).") var baseChannels = 64

    func validate() throws {
        try require(numClasses, atLeast: 1, flag: "--num-classes")
        try require(baseChannels, atLeast: 1, flag: "--base-channels")
    }

    func run() throws {
        print(
            try unwrapOptions.withCommandLineRemedies {
                try CheckpointSummary(path: file, options: unwrapOptions.loadOptions).text()
            })
        guard let model else { return }
        let network = model.make(numClasses: numClasses, baseChannels: baseChannels)
        try unwrapOptions.withCommandLineRemedies {
            try network.loadCheckpoint(path: file, options: unwrapOptions.loadOptions)
        }
        print("loaded into \(model.rawValue) (strict): \(network.parameterCount()) parameters, all keys matched")
    }
}
