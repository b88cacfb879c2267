import Checkpoints
import Foundation
import NN
import Tensors

/// The starting weights of a training run (`--weights FILE|embedded`): a torchvision ResNet state dict read from a
/// `.pth` (zip or legacy) or `.safetensors` file, with the architecture, stem width and preprocessing it implies.
///
/// The architecture and width come from the file itself, as a reader of torchvision's resnet.py would tell them
/// apart: the stem width is `conv1.weight`'s output channels (64 in torchvision), the depth the number of blocks
/// per stage (resnet18 [2, 2, 2, 2], resnet34 and resnet50 [3, 4, 6, 3]) and the block type (a `conv3` in each
/// block: Bottleneck, resnet50). The file's `fc` is never loaded: ``makeModel(classCount:seed:)`` gives the model a
/// new head for the data's classes (`model.fc = nn.Linear(model.fc.in_features, N)`).
public struct PretrainedWeights {
    /// `embedded` or the file's path, as the run records it.
    public let source: String
    /// The path read.
    public let path: String
    public let architecture: ResNetArchitecture
    public let baseChannels: Int
    /// The number of classes of the file's own head (`fc.weight`'s rows), 0 when it has none.
    public let pretrainedClasses: Int
    /// The preprocessing the weights were trained with: the embedded model's own, a run's (`run.json` beside the
    /// file), else torchvision's ImageNet preset.
    public let preprocessing: Preprocessing
    let stateDict: StateDict

    /// The embedded model of `Fixtures/models` (resnet18, width 12, digits 0-4, 32x32 gray digits).
    public static func embedded(_ fixtures: EmbeddedFixtures) throws -> PretrainedWeights {
        try PretrainedWeights(
            source: "embedded", path: fixtures.checkpointPath, options: .init(),
            preprocessing: .embedded(fixtures))
    }

    /// The weights in `path`, a torchvision-style state dict (`options` unwraps `{"state_dict": ...}` or strips a
    /// `module.` prefix).
    ///
    /// - Throws: the checkpoint's own error naming the file, or ``TrainingError/unusableWeights(path:reason:)``
    ///   when it is not a ResNet18/34/50 state dict.
    public static func file(_ path: String, options: CheckpointLoadOptions = .init()) throws -> PretrainedWeights {
        let runManifest = RunDirectory(path: (path as NSString).deletingLastPathComponent).manifestPath
        var preprocessing = Preprocessing.imageNet
        if let data = FileManager.default.contents(atPath: runManifest),
            let manifest = try? RunManifest.decode(data, path: runManifest)
        {
            preprocessing = manifest.preprocessing
        }
        return try PretrainedWeights(source: path, path: path, options: options, preprocessing: preprocessing)
    }

    init(source: String, path: String, options: CheckpointLoadOptions, preprocessing: Preprocessing) throws {
        let stateDict = try Checkpoint.load(path: path, options: options)
        guard let stem = stateDict["conv1.weight"], stem.shape.count == 4, stem.shape[0] > 0 else {
            let first = stateDict.keys.prefix(3).joined(separator: ", ")
            throw TrainingError.unusableWeights(
                path: path,
                reason: "no 4-d conv1.weight, so not a torchvision ResNet state dict (its first keys: \(first))")
        }
        self.source = source
        self.path = path
        self.stateDict = stateDict
        self.preprocessing = preprocessing
        baseChannels = stem.shape[0]
        architecture = try PretrainedWeights.architecture(of: stateDict, path: path)
        pretrainedClasses = stateDict["fc.weight"]?.shape.first ?? 0
    }

    /// The architecture whose blocks per stage and block type the keys show.
    static func architecture(of stateDict: StateDict, path: String) throws -> ResNetArchitecture {
        var blocks = [0, 0, 0, 0]
        for key in stateDict.keys {
            let parts = key.split(separator: ".")
            guard parts.count > 2, parts[0].hasPrefix("layer"), let stage = Int(parts[0].dropFirst(5)),
                (1...4).contains(stage), let block = Int(parts[1])
            else { continue }
            blocks[stage - 1] = max(blocks[stage - 1], block + 1)
        }
        let bottleneck = stateDict["layer1.0.conv3.weight"] != nil
        switch (blocks, bottleneck) {
        case ([2, 2, 2, 2], false): return .resnet18
        case ([3, 4, 6, 3], false): return .resnet34
        case ([3, 4, 6, 3], true): return .resnet50
        default:
            throw TrainingError.unusableWeights(
                path: path,
                reason: "blocks per stage \(blocks) with \(bottleneck ? "Bottleneck" : "BasicBlock") blocks match none "
                    + "of resnet18 ([2, 2, 2, 2]), resnet34 ([3, 4, 6, 3]) or resnet50 ([3, 4, 6, 3], Bottleneck)")
        }
    }

    /// Refuses a `--model` that is not the file's architecture.
    public func check(requested: ResNetArchitecture?) throws {
        guard let requested, requested != architecture else { return }
        throw TrainingError.unusableWeights(
            path: path,
            reason: "--model \(requested.rawValue) was asked for, but the file holds a \(architecture.rawValue) "
                + "(width \(baseChannels)); pass --model \(architecture.rawValue) or leave --model out")
    }

    /// A model of the file's architecture and width with every weight of the file but `fc`, and a new head of
    /// `classCount` outputs initialised from `seed` (PyTorch's `nn.Linear` default initialisation).
    ///
    /// - Throws: ``TrainingError/unusableWeights(path:reason:)`` naming the missing, unexpected or mis-shaped keys.
    public func makeModel(classCount: Int, seed: UInt64) throws -> ResNet {
        let model = ManualSeed.withSeed(seed) {
            architecture.make(numClasses: classCount, baseChannels: baseChannels)
        }
        let backbone = stateDict.entries.filter { !$0.key.hasPrefix("fc.") }.map {
            (key: $0.key, value: Tensor(checkpoint: $0.tensor))
        }
        let result: StateDictLoadResult
        do {
            result = try model.loadStateDict(backbone, strict: false)
        } catch {
            throw TrainingError.unusableWeights(path: path, reason: "does not fit a \(architecture.rawValue): \(error)")
        }
        // Batch norms saved before PyTorch tracked num_batches_tracked keep the model's count, as torch does.
        let missing = result.missingKeys.filter { !$0.hasPrefix("fc.") && !$0.hasSuffix(".num_batches_tracked") }
        guard missing.isEmpty, result.unexpectedKeys.isEmpty else {
            var problems: [String] = []
            if !missing.isEmpty { problems.append("missing \(missing.joined(separator: ", "))") }
            if !result.unexpectedKeys.isEmpty {
                problems.append("unexpected \(result.unexpectedKeys.joined(separator: ", "))")
            }
            throw TrainingError.unusableWeights(
                path: path,
                reason: "does not fit a \(architecture.rawValue) of width \(baseChannels): "
                    + problems.joined(separator: "; "))
        }
        return model
    }
}
