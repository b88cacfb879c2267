import Checkpoints
import Foundation
import NN

/// The folder a training run writes (`workbench train --out RUN_DIR`) and everything else reads:
///
///     RUN_DIR/run.json               the manifest: model, classes, preprocessing, options, epochs (RunManifest)
///     RUN_DIR/best.safetensors       the weights of the best epoch: the model's state dict, torchvision's keys
///     RUN_DIR/last.safetensors       the training state after the last finished epoch, for --resume
///     RUN_DIR/evaluation.json        what `workbench evaluate` measured
///     RUN_DIR/report.html            the self-contained report `workbench evaluate` writes
///
/// Every file is replaced atomically (``AtomicFile``), so a run killed at any moment leaves each file either as it
/// was or complete.
public struct RunDirectory: Sendable {
    /// The folder as given.
    public let path: String

    public init(path: String) {
        self.path = path
    }

    public var manifestPath: String { file("run.json") }
    public var bestCheckpointPath: String { file("best.safetensors") }
    public var lastCheckpointPath: String { file("last.safetensors") }
    public var evaluationPath: String { file("evaluation.json") }
    public var reportPath: String { file("report.html") }

    /// `name` inside the folder.
    public func file(_ name: String) -> String {
        (path as NSString).appendingPathComponent(name)
    }

    /// Whether the folder holds a `run.json`.
    public var exists: Bool { FileManager.default.fileExists(atPath: manifestPath) }

    /// Reads `run.json`.
    ///
    /// - Throws: ``RunError/notARunDirectory(path:)`` without one; ``RunError`` naming the file when it is from
    ///   another version or malformed.
    public func readManifest() throws -> RunManifest {
        guard let data = FileManager.default.contents(atPath: manifestPath) else {
            throw RunError.notARunDirectory(path: path)
        }
        return try RunManifest.decode(data, path: manifestPath)
    }

    /// Replaces `run.json` atomically.
    public func writeManifest(_ manifest: RunManifest) throws {
        try AtomicFile.write(try manifest.encoded(), to: manifestPath)
    }

    /// The run's model with the weights of `checkpoint` (the best epoch's by default; `last.safetensors`, a
    /// ``TrainingState``, gives its model), in eval mode, and the manifest.
    ///
    /// - Throws: ``RunError`` naming the file: no run, a missing checkpoint, an architecture this workbench does
    ///   not build, or weights that do not fit the run's model (strict loading).
    public func loadModel(checkpoint: String? = nil) throws -> (model: ResNet, manifest: RunManifest) {
        let manifest = try readManifest()
        let model = try manifest.makeModel(manifestPath: manifestPath)
        let weights = checkpoint ?? bestCheckpointPath
        guard FileManager.default.fileExists(atPath: weights) else {
            throw RunError.missingFile(path: weights, what: "the run has no finished epoch yet")
        }
        if TrainingState.isTrainingState(path: weights) {
            let state = try TrainingState.load(path: weights)
            do {
                try model.loadStateDict(state.modelEntries)
            } catch {
                throw RunError.mismatch(path: weights, reason: "\(error)")
            }
        } else {
            try model.loadCheckpoint(path: weights)
        }
        model.eval()
        return (model, manifest)
    }
}

extension RunManifest {
    /// A freshly initialised model of the run's architecture, width and class count.
    ///
    /// - Throws: ``RunError/malformedManifest(path:reason:)`` for an architecture this workbench does not build.
    public func makeModel(manifestPath: String) throws -> ResNet {
        guard let architecture = ResNetArchitecture(rawValue: model.architecture) else {
            throw RunError.malformedManifest(
                path: manifestPath,
                reason: "architecture \"\(model.architecture)\" is not one of "
                    + ResNetArchitecture.allCases.map(\.rawValue).joined(separator: ", "))
        }
        guard !classes.isEmpty, model.baseChannels > 0 else {
            throw RunError.malformedManifest(path: manifestPath, reason: "no classes, or a stem width below 1")
        }
        return architecture.make(numClasses: classes.count, baseChannels: model.baseChannels)
    }
}
