import Checkpoints
import Foundation
import NN

/// A classifier ready to evaluate or predict: the model with its weights, in eval mode, the names of its outputs
/// and the preprocessing its inputs need - from a run folder (``load(run:)``) or from a bare checkpoint
/// (``load(checkpoint:architecture:classes:preprocessing:dataClasses:)``).
public struct TrainedModel {
    public let model: ResNet
    public let architecture: ResNetArchitecture
    /// The class names, output `i` is `classes[i]`.
    public let classes: [String]
    public let preprocessing: Preprocessing
    /// The weights file.
    public let checkpointPath: String
    /// The run folder and its manifest, when the model came from one.
    public let run: RunDirectory?
    public let manifest: RunManifest?
    /// Where the class names came from ("run.json", the sidecar, `--classes`, or the data folder), for messages.
    public let classesSource: String

    /// The run's best checkpoint with the run's classes and preprocessing.
    ///
    /// - Throws: ``RunError`` naming the file (no run, another version, no finished epoch, weights that do not fit).
    public static func load(run: RunDirectory) throws -> TrainedModel {
        let (model, manifest) = try run.loadModel()
        guard let architecture = ResNetArchitecture(rawValue: manifest.model.architecture) else {
            throw RunError.malformedManifest(
                path: run.manifestPath, reason: "unknown architecture \"\(manifest.model.architecture)\"")
        }
        return TrainedModel(
            model: model, architecture: architecture, classes: manifest.classes, preprocessing: manifest.preprocessing,
            checkpointPath: run.bestCheckpointPath, run: run, manifest: manifest, classesSource: run.manifestPath)
    }

    /// A bare checkpoint (`.pth` or `.safetensors` holding a torchvision ResNet's state dict).
    ///
    /// The stem width and the number of outputs are read from the file (`conv1.weight`, `fc.weight`); the
    /// architecture, when not given, from its keys (resnet50 has `layer1.0.conv3`, resnet34 `layer3.5`). Class
    /// names and preprocessing come from the arguments, else from the sidecar ``ExportedModel`` that
    /// `workbench export` writes beside the file; class names last from `dataClasses` (the data folder's sorted
    /// names).
    ///
    /// - Throws: ``RunError/mismatch(path:reason:)`` when the class names are not as many as the checkpoint's fc
    ///   outputs (naming both), ``RunError/missingFile(path:what:)`` without preprocessing, checkpoint errors
    ///   naming the file, and strict-loading errors listing every missing or unexpected key.
    public static func load(
        checkpoint path: String, architecture: ResNetArchitecture? = nil, classes: [String]? = nil,
        preprocessing: Preprocessing? = nil, dataClasses: [String]? = nil
    ) throws -> TrainedModel {
        let stateDict = try Checkpoint.load(path: path)
        guard let stem = stateDict["conv1.weight"], stem.shape.count == 4,
            let head = stateDict["fc.weight"], head.shape.count == 2
        else {
            let keys = stateDict.keys.prefix(4).joined(separator: ", ")
            throw RunError.mismatch(
                path: path,
                reason: "not a torchvision ResNet state dict: no conv1.weight [C, 3, 7, 7] and fc.weight [N, F] "
                    + "(its first keys: \(keys)\(stateDict.count > 4 ? ", ..." : ""))")
        }
        let sidecarPath = ExportedModel.sidecarPath(forCheckpoint: path)
        let sidecar =
            FileManager.default.fileExists(atPath: sidecarPath) ? try ExportedModel.read(path: sidecarPath) : nil
        let outputs = head.shape[0]
        let names: [String]
        let source: String
        if let classes {
            (names, source) = (classes, "--classes")
        } else if let sidecar {
            (names, source) = (sidecar.classes, sidecarPath)
        } else if let dataClasses {
            (names, source) = (dataClasses, "the data folder")
        } else {
            (names, source) = ((0..<outputs).map { "class_\($0)" }, "the checkpoint (no names known)")
        }
        guard names.count == outputs else {
            throw RunError.mismatch(
                path: path,
                reason: "its fc has \(outputs) outputs (fc.weight \(head.shape)) but \(source) names \(names.count) "
                    + "classes (\(ClassNames.list(names)))")
        }
        guard let chosen = preprocessing ?? sidecar?.preprocessing else {
            throw RunError.missingFile(
                path: sidecarPath,
                what: "no preprocessing for \(path): pass --preset imagenet (torchvision weights: resize 256, crop "
                    + "224) or --preset embedded (the embedded model's 32x32)")
        }
        let keys = Set(stateDict.keys)
        let inferred: ResNetArchitecture =
            keys.contains("layer1.0.conv3.weight")
            ? .resnet50 : keys.contains("layer3.5.conv1.weight") ? .resnet34 : .resnet18
        let kind = architecture ?? sidecar.flatMap { ResNetArchitecture(rawValue: $0.architecture) } ?? inferred
        let model = kind.make(numClasses: outputs, baseChannels: stem.shape[0])
        try model.loadCheckpoint(path: path)
        model.eval()
        return TrainedModel(
            model: model, architecture: kind, classes: names, preprocessing: chosen, checkpointPath: path, run: nil,
            manifest: nil, classesSource: source)
    }

    /// Refuses a data folder whose classes are not the model's, naming the extra and the missing ones.
    ///
    /// - Throws: ``RunError/mismatch(path:reason:)`` naming `dataPath`.
    public func requireClasses(_ dataClasses: [String], dataPath: String) throws {
        guard dataClasses != classes else { return }
        let (model, data) = (Set(classes), Set(dataClasses))
        let extra = dataClasses.filter { !model.contains($0) }
        let missing = classes.filter { !data.contains($0) }
        var reasons: [String] = []
        if !extra.isEmpty { reasons.append("not classes of the model: \(ClassNames.list(extra))") }
        if !missing.isEmpty {
            reasons.append("the model's classes missing from the folder: \(ClassNames.list(missing))")
        }
        if reasons.isEmpty {
            reasons.append(
                "the same classes in another order (the model's: \(ClassNames.list(classes)); the folder's, sorted: "
                    + "\(ClassNames.list(dataClasses)))")
        }
        throw RunError.mismatch(
            path: dataPath,
            reason: "its class folders differ from the model's (\(classesSource)): " + reasons.joined(separator: "; "))
    }

    /// A line naming the model for the terminal, e.g. "resnet18 (width 12, 5 classes) from runs/a/best.safetensors".
    public var summary: String {
        var text =
            "\(architecture.rawValue) (width \(model.baseChannels), \(classes.count) classes) from \(checkpointPath)"
        if let best = manifest?.best { text += " (best epoch \(best))" }
        return text
    }
}

/// Class names quoted for a message: escaped for the terminal, at most 12 shown.
enum ClassNames {
    static func list(_ names: [String]) -> String {
        let shown = names.prefix(12).map { "'" + TerminalText.escaped($0) + "'" }
        return shown.joined(separator: ", ") + (names.count > 12 ? ", ... (\(names.count) in all)" : "")
    }
}
