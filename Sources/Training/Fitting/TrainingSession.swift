import Checkpoints
import Foundation
import NN
import Optim
import Tensors
import Vision

/// One training run of `workbench train`: a pretrained ResNet with a new head, trained on an ImageFolder with
/// cross-entropy, validated after each epoch, and written to a ``RunDirectory`` as it goes - the loop of
/// torchvision's reference `train.py` (`train_one_epoch`, `evaluate`, `lr_scheduler.step()`, `save_on_master`).
///
/// After each epoch, in this order: `best.safetensors` when the epoch is the best so far, `last.safetensors`
/// (``TrainingState``), then `run.json` - each replaced atomically, so a process killed at any moment leaves every
/// file complete, and `last.safetensors` alone is enough to continue (``resume(run:data:epochs:skipBadFiles:)``),
/// reaching the same weights, bit for bit, as a run that was never interrupted.
///
/// A NaN or infinite loss stops the run before the optimizer step with
/// ``TrainingError/diverged(epoch:batch:loss:kept:)`` and status `diverged`, leaving the checkpoints of the last
/// finished epoch.
public final class TrainingSession {
    public let run: RunDirectory
    /// The manifest as last written.
    public internal(set) var manifest: RunManifest
    public let model: ResNet
    public let strategy: TrainingStrategy
    public let trainLoader: DataLoader
    public let validationLoader: DataLoader
    /// The epoch the next ``fit(_:)`` starts with (0-based).
    public internal(set) var nextEpoch: Int
    /// Warnings found while setting up (classes without validation images, a dropped last batch).
    public let warnings: [String]
    let optimizer: any Optimizer
    let scheduler: (any LRScheduler)?
    var earlyStopping: EarlyStopping
    /// The epoch `last.safetensors` holds (0: none yet), read by a second SIGINT's message while a save runs.
    var savedEpoch = 0
    /// The `stopRequested` of the ``fit(upTo:stopRequested:_:)`` in progress.
    var stopRequested: () -> Bool = { false }
    /// The training images' backbone features, computed in the first epoch and reused after it, when nothing below
    /// `fc` trains or runs in train mode and the images are not augmented (``FeatureCache/obstacle(model:augmented:)``).
    public let trainFeatures: FeatureCache?
    /// The validation images' backbone features, cached whenever nothing below `fc` changes during training.
    public let validationFeatures: FeatureCache?
    /// Why the training images' features are recomputed every epoch, nil when they are cached.
    public let featureCacheObstacle: String?

    init(
        run: RunDirectory, manifest: RunManifest, model: ResNet, strategy: TrainingStrategy, data: TrainingData,
        state: TrainingState?, cacheFeatures: Bool
    ) throws {
        let options = manifest.options
        self.run = run
        self.manifest = manifest
        self.model = model
        self.strategy = strategy
        strategy.configureParameters(model)
        let groups = strategy.parameterGroups(model)
        optimizer = TrainingSession.makeOptimizer(options, backbone: groups.backbone, head: groups.head)
        scheduler = TrainingSession.makeScheduler(options, optimizer: optimizer)
        earlyStopping = EarlyStopping(patience: options.patience)
        nextEpoch = 0
        var warnings = data.warnings
        let dropLast = data.train.count % options.batchSize == 1 && data.train.count > 1
        if dropLast {
            warnings.append(
                "the last training batch would hold a single image, which batch norm cannot normalise in train "
                    + "mode; it is left out of each epoch (another image each time, as the order is shuffled)")
        }
        let preprocessing = manifest.preprocessing
        trainLoader = DataLoader(
            data.train, batchSize: options.batchSize, shuffle: true, seed: options.seed, dropLast: dropLast,
            transform: preprocessing.trainingTransform(augment: options.augment), skipBadFiles: options.skipBadFiles)
        validationLoader = DataLoader(
            data.validation, batchSize: options.batchSize, transform: preprocessing.evaluationTransform,
            skipBadFiles: options.skipBadFiles)
        self.warnings = warnings
        strategy.enterTrainingMode(model)
        let frozen =
            cacheFeatures ? FeatureCache.obstacle(model: model, augmented: false) : "--no-feature-cache"
        featureCacheObstacle = frozen ?? FeatureCache.obstacle(model: model, augmented: options.augment)
        trainFeatures = featureCacheObstacle == nil ? FeatureCache(model: model, loader: trainLoader) : nil
        validationFeatures = frozen == nil ? FeatureCache(model: model, loader: validationLoader) : nil
        if let state {
            try restore(state)
        }
    }

    /// What is cached, for the log: `features: ... cached ...: 300 training + 100 validation images x 512 floats =
    /// 0.8 MB`, or why the features are recomputed every epoch.
    public var featureCaching: String {
        let width = model.numFeatures
        guard let validationFeatures else {
            return "features: recomputed every epoch (\(featureCacheObstacle ?? ""))"
        }
        let validationImages = validationFeatures.loader.dataset.count
        guard let trainFeatures else {
            return "features: the validation images' are cached after the first validation ("
                + FeatureCache.describe(images: validationImages, numFeatures: width) + "); the training images' are "
                + "recomputed every epoch (\(featureCacheObstacle ?? ""))"
        }
        let trainImages = trainFeatures.loader.dataset.count
        let bytes = trainFeatures.expectedByteCount + validationFeatures.expectedByteCount
        return "features: the frozen backbone (eval mode, no augmentation) runs in epoch 1 only; its features are "
            + "cached and later epochs train only fc on them: \(trainImages) training + \(validationImages) "
            + "validation images x \(width) floats = \(String(format: "%.1f", Double(bytes) / 1_048_576)) MB"
    }

    // MARK: Starting and resuming

    /// A new run in `run`: the model from `weights` with a head for `data`'s classes, and `run.json` written.
    ///
    /// - Parameters:
    ///   - overwrite: replace a run already in the folder (its checkpoints are deleted first).
    ///   - cacheFeatures: cache the frozen backbone's features where they cannot change (``trainFeatures``);
    ///     false recomputes them every epoch, as PyTorch's plain loop does.
    /// - Throws: ``TrainingError/outputExists(path:reason:)`` when the folder holds a run (without `overwrite`) or
    ///   other files; the weights' and the data's errors; ``TrainingError/saveFailed(path:reason:kept:)``.
    public static func start(
        run: RunDirectory, options: TrainingOptions, weights: PretrainedWeights, data: TrainingData,
        preprocessing: Preprocessing, strategy: TrainingStrategy, overwrite: Bool = false, cacheFeatures: Bool = true
    ) throws -> TrainingSession {
        let model = try weights.makeModel(classCount: data.classes.count, seed: options.seed)
        if let problem = strategy.blockCountError(for: model) {
            throw TrainingError.unusableWeights(path: weights.path, reason: problem)
        }
        if options.batchSize == 1, preprocessing.imageSize <= 32, strategy != .featureExtractEval {
            throw TrainingError.invalidOption(
                flag: "--batch-size 1",
                reason: "at \(preprocessing.imageSize)x\(preprocessing.imageSize) the last stage's batch norm sees a "
                    + "single value per channel, which it cannot normalise in train mode (PyTorch refuses it too); "
                    + "use a batch of 2 or more, or --strategy feature-extract-eval")
        }
        guard data.validation.count > 0 else {
            throw TrainingError.dataLayout(path: options.data, reason: "no validation images")
        }
        try prepareFolder(run, overwrite: overwrite)
        let manifest = RunManifest(
            model: .init(
                architecture: weights.architecture.rawValue, baseChannels: weights.baseChannels,
                weights: weights.source),
            classes: data.classes, preprocessing: preprocessing, options: options, split: data.split,
            trainImages: data.train.count, validationImages: data.validation.count)
        let session = try TrainingSession(
            run: run, manifest: manifest, model: model, strategy: strategy, data: data, state: nil,
            cacheFeatures: cacheFeatures)
        try session.writeManifest()
        return session
    }

    /// Continues the run in `run` from its `last.safetensors`, on `data` (which must have the run's classes), for
    /// `epochs` epochs in all (the run's own number by default; more to train further); `skipBadFiles` changes
    /// whether undecodable images are left out; `cacheFeatures` as for ``start(run:options:weights:data:preprocessing:strategy:overwrite:cacheFeatures:)``.
    ///
    /// - Throws: ``RunError`` for a missing or foreign `run.json`; ``TrainingError`` naming the file when there is
    ///   nothing to resume, the state is from another version, or the data's classes differ from the run's.
    public static func resume(
        run: RunDirectory, data: TrainingData, epochs: Int? = nil, skipBadFiles: Bool? = nil,
        cacheFeatures: Bool = true
    ) throws -> TrainingSession {
        var manifest = try run.readManifest()
        if let skipBadFiles { manifest.options.skipBadFiles = skipBadFiles }
        guard let strategy = TrainingStrategy(argument: manifest.options.strategy) else {
            throw RunError.malformedManifest(
                path: run.manifestPath, reason: "unknown strategy \"\(manifest.options.strategy)\"")
        }
        guard data.classes == manifest.classes else {
            throw TrainingError.cannotResume(
                path: run.manifestPath,
                reason: "the run's classes \(manifest.classes) differ from the data's \(data.classes) "
                    + "(\(manifest.options.data)); resume on the data the run started with")
        }
        guard FileManager.default.fileExists(atPath: run.lastCheckpointPath) else {
            throw TrainingError.cannotResume(
                path: run.lastCheckpointPath,
                reason: "missing: no epoch of this run finished; start it again with --out \(run.path) --overwrite")
        }
        let state = try TrainingState.load(path: run.lastCheckpointPath)
        guard state.classes == manifest.classes else {
            throw TrainingError.cannotResume(
                path: run.lastCheckpointPath,
                reason: "its classes \(state.classes) differ from run.json's \(manifest.classes)")
        }
        guard state.optimizerName == manifest.options.optimizer else {
            throw TrainingError.cannotResume(
                path: run.lastCheckpointPath,
                reason: "it holds \(state.optimizerName) state, run.json says \(manifest.options.optimizer)")
        }
        if let epochs { manifest.options.epochs = epochs }
        // A run whose last epoch is saved but whose run.json was not written after it (the write failed, or the
        // process died between the two) lists fewer epochs than last.safetensors: resuming it only writes run.json.
        let onlyManifestMissing = state.epoch == manifest.options.epochs && manifest.epochs.count < state.epoch
        guard state.epoch < manifest.options.epochs || onlyManifestMissing else {
            throw TrainingError.cannotResume(
                path: run.path,
                reason: "all \(manifest.options.epochs) epochs are done (status \(manifest.status.rawValue)); "
                    + "pass --epochs N with N above \(state.epoch) to train further")
        }
        let model = try manifest.makeModel(manifestPath: run.manifestPath)
        do {
            try model.loadStateDict(state.modelEntries)
        } catch {
            throw TrainingError.malformedState(path: run.lastCheckpointPath, reason: "\(error)")
        }
        removeLeftoverTemporaryFiles(in: run)
        manifest.status = .running
        manifest.message = nil
        return try TrainingSession(
            run: run, manifest: manifest, model: model, strategy: strategy, data: data, state: state,
            cacheFeatures: cacheFeatures)
    }

    /// Puts the optimizer, the scheduler, the early-stopping record and the history where `state` left them.
    private func restore(_ state: TrainingState) throws {
        do {
            try optimizer.loadStateDict(state.optimizer)
            if let saved = state.scheduler, let scheduler {
                try scheduler.loadStateDict(saved)
            } else if (state.scheduler == nil) != (scheduler == nil) {
                throw OptimizerStateError(
                    "it has \(state.scheduler == nil ? "no" : "a") scheduler state, "
                        + "run.json's schedule is \(manifest.options.schedule)")
            }
        } catch let error as OptimizerStateError {
            throw TrainingError.malformedState(path: run.lastCheckpointPath, reason: error.description)
        }
        earlyStopping = state.earlyStopping
        earlyStopping.patience = manifest.options.patience
        manifest.epochs = state.history
        manifest.best = earlyStopping.bestEpoch
        nextEpoch = state.epoch
        savedEpoch = state.epoch
    }

    /// Checks `--out`: a new or empty folder, or (with `overwrite`) a run whose files are then removed.
    static func prepareFolder(_ run: RunDirectory, overwrite: Bool) throws {
        let manager = FileManager.default
        if run.exists && !overwrite {
            let described = (try? run.readManifest()).map {
                "\($0.epochs.count) of \($0.options.epochs) epochs, status \($0.status.rawValue)"
            }
            throw TrainingError.outputExists(
                path: run.path,
                reason: "already holds a training run (\(described ?? "run.json")); pass --resume \(run.path) to "
                    + "continue it, or --overwrite to replace it")
        }
        if !run.exists, let contents = try? manager.contentsOfDirectory(atPath: run.path), !contents.isEmpty,
            !overwrite
        {
            throw TrainingError.outputExists(
                path: run.path,
                reason: "is not empty and holds no run.json; choose a new folder for the run (or pass --overwrite "
                    + "to write the run's files into it)")
        }
        if overwrite {
            for path in [run.bestCheckpointPath, run.lastCheckpointPath, run.evaluationPath, run.reportPath] {
                try? manager.removeItem(atPath: path)
            }
        }
        do {
            try manager.createDirectory(atPath: run.path, withIntermediateDirectories: true)
        } catch {
            throw TrainingError.saveFailed(
                path: run.path, reason: "cannot create the folder (\(error.localizedDescription))",
                kept: "nothing was written")
        }
    }

    /// Deletes the temporary files of saves a killed process left (`*.partial-<pid>`).
    static func removeLeftoverTemporaryFiles(in run: RunDirectory) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: run.path)) ?? []
        for name in names where name.contains(".partial-") {
            try? FileManager.default.removeItem(atPath: run.file(name))
        }
    }

    // MARK: Optimizer and schedule

    /// SGD (with momentum), Adam or AdamW over two groups: the trainable backbone at `backboneLR` (when any of it
    /// trains), then the head at `lr`.
    static func makeOptimizer(_ options: TrainingOptions, backbone: [Tensor], head: [Tensor]) -> any Optimizer {
        var groups: [ParamGroup] = []
        if !backbone.isEmpty { groups.append(ParamGroup(params: backbone, lr: options.backboneLR ?? options.lr)) }
        groups.append(ParamGroup(params: head, lr: options.lr))
        switch options.optimizer {
        case "adam": return Adam(groups: groups, lr: options.lr, weightDecay: options.weightDecay)
        case "adamw": return AdamW(groups: groups, lr: options.lr, weightDecay: options.weightDecay)
        default:
            return SGD(groups: groups, lr: options.lr, momentum: options.momentum, weightDecay: options.weightDecay)
        }
    }

    /// StepLR or CosineAnnealingLR (`T_max` = the epochs), stepped after every epoch; nil for `none`.
    static func makeScheduler(_ options: TrainingOptions, optimizer: any Optimizer) -> (any LRScheduler)? {
        switch options.schedule {
        case "step": return StepLR(optimizer: optimizer, stepSize: options.lrStepSize, gamma: options.lrGamma)
        case "cosine": return CosineAnnealingLR(optimizer: optimizer, tMax: options.epochs, etaMin: options.lrMin)
        default: return nil
        }
    }
}
