import Checkpoints
import Foundation
import NN

/// The sidecar `workbench export` writes beside an exported checkpoint (`model.pth` -> `model.json`): the class
/// names in output order, the preprocessing, the architecture and how to build the matching model in PyTorch.
/// `workbench evaluate`/`predict` and `Fixtures/continue_in_pytorch.py` read it.
public struct ExportedModel: Codable, Equatable, Sendable {
    public static let formatName = "workbench-export"
    public static let currentVersion = 1

    public var format: String
    public var version: Int
    /// torchvision's architecture name and the stem width (64 for torchvision's own models).
    public var architecture: String
    public var baseChannels: Int
    /// Output `i` of the model is `classes[i]`.
    public var classes: [String]
    public var preprocessing: Preprocessing
    /// The Python expression that builds a model this state dict loads into strictly.
    public var pytorchModel: String
    /// The run folder the weights came from.
    public var run: String?

    public init(
        architecture: ResNetArchitecture, baseChannels: Int, classes: [String], preprocessing: Preprocessing,
        run: String?
    ) {
        format = ExportedModel.formatName
        version = ExportedModel.currentVersion
        self.architecture = architecture.rawValue
        self.baseChannels = baseChannels
        self.classes = classes
        self.preprocessing = preprocessing
        pytorchModel = ExportedModel.pytorchExpression(
            architecture: architecture, baseChannels: baseChannels, classes: classes.count)
        self.run = run
    }

    /// `torchvision.models.resnet18(num_classes=N)` for torchvision's width; the width-scaled copy of
    /// Fixtures/tlref/resnets.py otherwise.
    public static func pytorchExpression(architecture: ResNetArchitecture, baseChannels: Int, classes: Int) -> String {
        baseChannels == 64
            ? "torchvision.models.\(architecture.rawValue)(num_classes=\(classes))"
            : "tlref.resnets.resnet('\(architecture.rawValue)', \(classes), base_width=\(baseChannels))"
    }

    /// The sidecar of `checkpoint`: the same path with the extension replaced by `.json`.
    public static func sidecarPath(forCheckpoint checkpoint: String) -> String {
        ((checkpoint as NSString).deletingPathExtension) + ".json"
    }

    /// The JSON the sidecar holds (pretty-printed, keys sorted).
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Reads a sidecar.
    ///
    /// - Throws: ``RunError`` naming `path` when it is not an export sidecar, is from another version, or lacks a
    ///   field.
    public static func read(path: String) throws -> ExportedModel {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RunError.missingFile(path: path, what: "the export's sidecar")
        }
        let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        guard let object, object["format"] as? String == formatName else {
            throw RunError.malformedManifest(path: path, reason: "not a \"\(formatName)\" JSON file")
        }
        guard let version = object["version"] as? Int, version == currentVersion else {
            throw RunError.unsupportedVersion(
                path: path, found: object["version"] as? Int ?? -1, supported: currentVersion)
        }
        do {
            return try JSONDecoder().decode(ExportedModel.self, from: data)
        } catch let error as DecodingError {
            throw RunError.malformedManifest(path: path, reason: RunError.describe(error))
        }
    }
}

extension TrainedModel {
    /// Writes the model's state dict to `path` - torch's zip format for `.pth`/`.pt`, safetensors for
    /// `.safetensors`; torchvision's keys, float32 weights, int64 `num_batches_tracked`, so that
    /// `model.load_state_dict(torch.load(path, weights_only=True))` is strict - and the ``ExportedModel`` sidecar
    /// beside it, each atomically.
    ///
    /// - Parameter force: replace an existing file; without it an existing checkpoint, or a sidecar that says
    ///   something else, is refused and nothing is written.
    /// - Throws: ``ExportError`` naming the file; ``AtomicFile/WriteError`` naming it when a write fails (the file
    ///   that was there is left as it was).
    @discardableResult
    public func export(to path: String, force: Bool = false) throws -> (sidecarPath: String, sidecar: ExportedModel) {
        let lowered = path.lowercased()
        guard [".pth", ".pt", ".safetensors"].contains(where: { lowered.hasSuffix($0) }) else {
            throw ExportError.unsupportedExtension(path: path)
        }
        let sidecarPath = ExportedModel.sidecarPath(forCheckpoint: path)
        let sidecar = ExportedModel(
            architecture: architecture, baseChannels: model.baseChannels, classes: classes,
            preprocessing: preprocessing, run: run?.path)
        let manager = FileManager.default
        if !force {
            if manager.fileExists(atPath: path) { throw ExportError.exists(path: path) }
            if manager.fileExists(atPath: sidecarPath), (try? ExportedModel.read(path: sidecarPath)) != sidecar {
                throw ExportError.exists(path: sidecarPath)
            }
        }
        try model.saveCheckpoint(path: path)
        try AtomicFile.write(try sidecar.encoded(), to: sidecarPath)
        return (sidecarPath, sidecar)
    }
}
