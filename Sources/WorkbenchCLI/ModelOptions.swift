import ArgumentParser
import Foundation
import NN
import Training

/// The preprocessing presets a bare checkpoint can be given (a run folder and an export's sidecar record theirs).
enum PresetChoice: String, ExpressibleByArgument, CaseIterable {
    /// torchvision's ImageNet weights: resize 256, center crop 224, ImageNet mean/std.
    case imagenet
    /// The embedded model (Fixtures/models): 32x32, the digits' mean/std.
    case embedded
}

/// What `evaluate` and `predict` take to know a model: a run folder (everything from run.json), or a bare
/// checkpoint with its sidecar or these flags.
struct ModelOptions: ParsableArguments {
    @Option(help: "For a bare checkpoint: the architecture (default: from its keys, or its sidecar).")
    var model: ResNetArchitecture?

    @Option(
        help: ArgumentHelp(
            "For a bare checkpoint: its class names in output order, comma-separated.",
            discussion: "Default: the sidecar that `workbench export` writes (model.json beside model.pth), "
                + "else the data folder's sorted class names."))
    var classes: String?

    @Option(help: "For a bare checkpoint without a sidecar: the weights' preprocessing.")
    var preset: PresetChoice?

    @Option(help: "For a bare checkpoint: the input size (the preset's resize keeps its ratio, 256/224).")
    var imageSize: Int?

    @OptionGroup var root: RootOption

    func validate() throws {
        if let imageSize { try require(imageSize, atLeast: 8, flag: "--image-size") }
        if let classes, classes.split(separator: ",", omittingEmptySubsequences: false).contains(where: \.isEmpty) {
            throw ValidationError("--classes '\(classes)' has an empty name: give names separated by single commas")
        }
    }

    /// Loads `source`: a folder is a run folder, a file a checkpoint.
    ///
    /// - Parameter dataClasses: the data folder's class names, the last resort for a bare checkpoint's names.
    func load(_ source: String, dataClasses: [String]? = nil) throws -> TrainedModel {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory) else {
            throw CommandLineError("\(source): no such run folder or checkpoint file")
        }
        if isDirectory.boolValue {
            let flags = [
                model.map { _ in "--model" }, classes.map { _ in "--classes" }, preset.map { _ in "--preset" },
                imageSize.map { _ in "--image-size" },
            ].compactMap { $0 }
            guard flags.isEmpty else {
                throw ValidationError(
                    "\(flags.joined(separator: ", ")) describe a bare checkpoint; the run folder \(source) records "
                        + "its model, classes and preprocessing in run.json")
            }
            return try TrainedModel.load(run: RunDirectory(path: source))
        }
        var preprocessing: Preprocessing?
        switch preset {
        case .imagenet: preprocessing = .imageNet
        case .embedded: preprocessing = .embedded(try EmbeddedFixtures(root: try root.resolved().path))
        case nil: preprocessing = nil
        }
        if let imageSize {
            guard let chosen = preprocessing else {
                throw ValidationError("--image-size resizes a preset: pass --preset imagenet or --preset embedded")
            }
            preprocessing = chosen.resized(to: imageSize)
        }
        return try TrainedModel.load(
            checkpoint: source, architecture: model,
            classes: classes.map { $0.split(separator: ",").map(String.init) }, preprocessing: preprocessing,
            dataClasses: dataClasses)
    }
}

/// Runs `body`, restating any error other than an exit code with its control characters escaped, so a file or
/// class name cannot act on the terminal.
func withTerminalSafeErrors<R>(_ body: () throws -> R) throws -> R {
    do {
        return try body()
    } catch let error as ExitCode {
        throw error
    } catch let error as ValidationError {
        throw ValidationError(TerminalText.escaped(error.message))
    } catch {
        throw CommandLineError(TerminalText.escaped("\(error)"))
    }
}
