import ArgumentParser
import Checkpoints
import Foundation
import Training

/// `workbench export RUN_DIR --to model.pth|model.safetensors`: the run's best weights for PyTorch, and the class
/// names beside them.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export a run's best weights for PyTorch (.pth or .safetensors) with its classes beside them.",
        discussion: """
            Writes the state dict with torchvision's keys - `model.load_state_dict(torch.load(FILE, \
            weights_only=True))` is strict for torchvision.models.resnet18(num_classes=N) at torchvision's width \
            64 (for another width, Fixtures/tlref/resnets.py's resnet('resnet18', N, base_width=W)) - and a sidecar \
            FILE with .json in place of the extension: class names in output order, preprocessing, architecture. \
            Both are written atomically. An existing file is refused unless --force. \
            Fixtures/continue_in_pytorch.py evaluates the export and continues training it, also on several \
            machines with DistributedDataParallel (README: "Export and continue in PyTorch").
            """)

    @Argument(help: "The run folder.", completion: .directory) var runFolder: String
    @Option(help: "The file to write: model.pth (torch.save's zip format) or model.safetensors.") var to: String
    @Flag(help: "Replace existing files.") var force = false

    func run() throws {
        try withTerminalSafeErrors {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: runFolder, isDirectory: &isDirectory), isDirectory.boolValue
            else {
                throw CommandLineError(
                    "\(runFolder): no such run folder (export takes the folder `workbench train --out` made)")
            }
            let trained = try TrainedModel.load(run: RunDirectory(path: runFolder))
            let (sidecarPath, sidecar) = try trained.export(to: to, force: force)
            let format = try Checkpoint.detectFormat(path: to)
            let formatName = format == .safetensors ? "safetensors" : "torch.save zip format"
            let epoch = trained.manifest?.best.map { "epoch \($0)'s weights" } ?? "the run's weights"
            print(
                "wrote \(TerminalText.escaped(to)) (\(formatName), \(trained.model.stateDict().count) tensors, "
                    + "\(epoch))")
            print("wrote \(TerminalText.escaped(sidecarPath)) (\(sidecar.classes.count) class names, preprocessing)")
            let load =
                format == .safetensors
                ? "safetensors.torch.load_file(\(Self.python(to)))"
                : "torch.load(\(Self.python(to)), weights_only=True)"
            print("in PyTorch:")
            if trained.model.baseChannels == 64 {
                print("  model = \(sidecar.pytorchModel)")
            } else {
                print(
                    "  model = resnet('\(sidecar.architecture)', \(sidecar.classes.count), base_width="
                        + "\(sidecar.baseChannels))  # from Fixtures/tlref/resnets.py: this run's stem width is "
                        + "\(sidecar.baseChannels), torchvision's \(sidecar.architecture) has 64")
            }
            print("  model.load_state_dict(\(load))  # strict")
        }
    }

    /// `text` as a Python string literal (repr-style, escaped for the terminal too).
    static func python(_ text: String) -> String {
        "'"
            + TerminalText.escaped(
                text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")) + "'"
    }
}
