import Checkpoints
import Foundation
import NN
import Optim
import Tensors

/// Everything `--resume` needs to continue a run exactly where its last finished epoch left it, as one
/// safetensors file (``RunDirectory/lastCheckpointPath``, `last.safetensors`), written atomically after each epoch:
///
///     model.<key>                        the model's state dict (torchvision's keys; num_batches_tracked int64)
///     optimizer.state.<i>.<name>         the optimizer's per-parameter state (`momentum_buffer`; `step`,
///                                        `exp_avg`, `exp_avg_sq`, `max_exp_avg_sq`), as `optimizer.state_dict()`
///                                        numbers the parameters
///     __metadata__                       format "workbench-training-state", version "1", epoch (finished epochs),
///                                        classes, optimizer (sgd/adam/adamw), optimizer.param_groups,
///                                        scheduler, early_stopping and history (the epochs' figures), as JSON
///
/// The data order and the augmentation of epoch `e` depend only on the run's seed and `e` (``DataLoader``,
/// ``TransformRandom``), so no random generator state needs saving: the next epoch is `epoch`. The model's weights
/// alone, for `evaluate` or PyTorch, are in `best.safetensors`; ``modelStateDict`` strips the prefix here.
public struct TrainingState {
    public static let formatName = "workbench-training-state"
    public static let currentVersion = 1

    /// Finished epochs; the next epoch to train is `epoch` (0-based), i.e. epoch `epoch + 1` as the log counts.
    public var epoch: Int
    public var classes: [String]
    /// The model's state dict (unprefixed keys).
    public var modelStateDict: StateDict
    /// `sgd`, `adam` or `adamw`.
    public var optimizerName: String
    public var optimizer: OptimizerStateDict
    public var scheduler: LRSchedulerStateDict?
    public var earlyStopping: EarlyStopping
    /// The figures of epochs 1...epoch, from which `run.json` is rebuilt on resume.
    public var history: [RunManifest.Epoch]

    public init(
        epoch: Int, classes: [String], model: Module, optimizerName: String, optimizer: OptimizerStateDict,
        scheduler: LRSchedulerStateDict?, earlyStopping: EarlyStopping, history: [RunManifest.Epoch]
    ) {
        self.epoch = epoch
        self.classes = classes
        modelStateDict = model.checkpointStateDict()
        self.optimizerName = optimizerName
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.earlyStopping = earlyStopping
        self.history = history
    }

    /// The model's tensors for ``Module/loadStateDict(_:strict:skipMismatchedShapes:)``.
    public var modelEntries: [(key: String, value: Tensor)] {
        modelStateDict.entries.map { (key: $0.key, value: Tensor(checkpoint: $0.tensor)) }
    }

    // MARK: The file

    /// The safetensors state dict written to `last.safetensors`.
    public func encoded() throws -> StateDict {
        var file = StateDict()
        for entry in modelStateDict.entries { file["model." + entry.key] = entry.tensor }
        for position in optimizer.state.keys.sorted() {
            for (name, tensor) in optimizer.state[position]!.sorted(by: { $0.key < $1.key }) {
                file["optimizer.state.\(position).\(name)"] = CheckpointTensor(
                    shape: tensor.shape, floats: tensor.toArray())
            }
        }
        file.metadata = [
            "format": TrainingState.formatName, "version": String(TrainingState.currentVersion),
            "epoch": String(epoch), "classes": try TrainingState.json(classes), "optimizer": optimizerName,
            "optimizer.param_groups": try TrainingState.json(optimizer.paramGroups),
            "early_stopping": try TrainingState.json(earlyStopping), "history": try TrainingState.json(history),
        ]
        if let scheduler { file.metadata["scheduler"] = try TrainingState.json(scheduler) }
        return file
    }

    /// Writes the state to `path` atomically (temporary file, fsync, rename).
    public func save(to path: String) throws {
        try Checkpoint.save(try encoded(), to: path, format: .safetensors)
    }

    /// Whether the file at `path` is a safetensors file whose metadata says it is a training state.
    public static func isTrainingState(path: String) -> Bool {
        guard (try? Checkpoint.detectFormat(path: path)) == .safetensors else { return false }
        return (try? Checkpoint.load(path: path))?.metadata["format"] == formatName
    }

    /// Reads the state saved at `path`.
    ///
    /// - Throws: the checkpoint error naming the file for a damaged file; ``TrainingError`` naming it for a file
    ///   that is not a training state, or one from another layout version.
    public static func load(path: String) throws -> TrainingState {
        let file = try Checkpoint.load(path: path)
        let metadata = file.metadata
        guard metadata["format"] == formatName else {
            throw TrainingError.malformedState(path: path, reason: "its metadata has no format \"\(formatName)\"")
        }
        guard metadata["version"] == String(currentVersion) else {
            throw TrainingError.unsupportedStateVersion(
                path: path, found: metadata["version"] ?? "(none)", supported: currentVersion)
        }
        func field<T: Decodable>(_ key: String, _ type: T.Type) throws -> T {
            guard let text = metadata[key] else {
                throw TrainingError.malformedState(path: path, reason: "no \"\(key)\" in its metadata")
            }
            do {
                let decoder = JSONDecoder()
                decoder.nonConformingFloatDecodingStrategy = .convertFromString(
                    positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
                return try decoder.decode(T.self, from: Data(text.utf8))
            } catch let error as DecodingError {
                throw TrainingError.malformedState(
                    path: path, reason: "metadata \"\(key)\" \(RunError.describe(error))")
            }
        }
        guard let epochText = metadata["epoch"], let epoch = Int(epochText), epoch >= 1 else {
            throw TrainingError.malformedState(path: path, reason: "no positive \"epoch\" in its metadata")
        }
        guard let optimizerName = metadata["optimizer"] else {
            throw TrainingError.malformedState(path: path, reason: "no \"optimizer\" in its metadata")
        }
        var model = StateDict()
        var optimizerState: [Int: [String: Tensor]] = [:]
        for entry in file.entries {
            if entry.key.hasPrefix("model.") {
                model[String(entry.key.dropFirst("model.".count))] = entry.tensor
                continue
            }
            let parts = entry.key.split(separator: ".", maxSplits: 3).map(String.init)
            guard parts.count == 4, parts[0] == "optimizer", parts[1] == "state", let position = Int(parts[2]),
                let floats = entry.tensor.floats
            else {
                throw TrainingError.malformedState(path: path, reason: "unexpected tensor \"\(entry.key)\"")
            }
            optimizerState[position, default: [:]][parts[3]] = Tensor(shape: entry.tensor.shape, values: floats)
        }
        let history = try field("history", [RunManifest.Epoch].self)
        guard history.count == epoch else {
            throw TrainingError.malformedState(
                path: path, reason: "its history holds \(history.count) epochs, its \"epoch\" says \(epoch)")
        }
        var state = TrainingState(
            epoch: epoch, classes: try field("classes", [String].self), modelStateDict: model,
            optimizerName: optimizerName,
            optimizer: OptimizerStateDict(
                state: optimizerState, paramGroups: try field("optimizer.param_groups", [OptimizerStateDict.Group].self)
            ),
            scheduler: nil, earlyStopping: try field("early_stopping", EarlyStopping.self), history: history)
        if metadata["scheduler"] != nil { state.scheduler = try field("scheduler", LRSchedulerStateDict.self) }
        return state
    }

    init(
        epoch: Int, classes: [String], modelStateDict: StateDict, optimizerName: String,
        optimizer: OptimizerStateDict, scheduler: LRSchedulerStateDict?, earlyStopping: EarlyStopping,
        history: [RunManifest.Epoch]
    ) {
        self.epoch = epoch
        self.classes = classes
        self.modelStateDict = modelStateDict
        self.optimizerName = optimizerName
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.earlyStopping = earlyStopping
        self.history = history
    }

    static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
