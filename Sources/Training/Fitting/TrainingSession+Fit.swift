import Checkpoints
import Foundation
import NN
import Optim
import Tensors
import Vision

extension TrainingSession {
    /// Trains from ``nextEpoch`` to the run's last epoch (or until early stopping), reporting to `events`, and
    /// returns the final manifest (status `completed` or `early-stopped`). With `epoch`, stops after that epoch
    /// (1-based) instead, leaving the run `running`, as an interrupted run is, for
    /// ``resume(run:data:epochs:skipBadFiles:)``.
    ///
    /// - Throws: ``TrainingError/diverged(epoch:batch:loss:kept:)`` (the manifest then says `diverged`), an image
    ///   that cannot be loaded (without `skipBadFiles`), or ``TrainingError/saveFailed(path:reason:kept:)``; the
    ///   files already written stay as they were.
    ///
    /// `stopRequested` is polled at safe points - before each batch, before validation and between epochs -
    /// and when it returns true, training stops there with ``TrainingError/interrupted(during:kept:)``: the epoch
    /// in progress is dropped, and the files of the last finished epoch (each written atomically) are what
    /// `--resume` continues from.
    @discardableResult
    public func fit(
        upTo epoch: Int? = nil, stopRequested: @escaping () -> Bool = { false },
        _ events: @escaping (TrainingEvent) -> Void = { _ in }
    ) throws -> RunManifest {
        self.stopRequested = stopRequested
        defer { self.stopRequested = { false } }
        for loader in [trainLoader, validationLoader] {
            loader.onSkippedFile = { error in events(.warning("skipped an image: \(error)")) }
        }
        defer {
            trainLoader.onSkippedFile = nil
            validationLoader.onSkippedFile = nil
        }
        let options = manifest.options
        let end = min(options.epochs, epoch ?? options.epochs)
        while nextEpoch < end {
            try checkInterruption(nil)
            let number = nextEpoch + 1
            let start = DispatchTime.now().uptimeNanoseconds
            let learningRates = optimizer.learningRates
            let training = try trainOneEpoch(number: number, events: events)
            try checkInterruption("before the validation of epoch \(number)")
            scheduler?.step()
            events(.validating(epoch: number))
            let (validationLoss, validationAccuracy) = try validate()
            guard validationLoss.isFinite else {
                try stopDiverged(
                    epoch: number, batch: validationLoader.count, loss: Float(validationLoss), during: "validation")
            }
            let epoch = RunManifest.Epoch(
                epoch: number, trainLoss: training.loss, trainAccuracy: training.accuracy,
                validationLoss: validationLoss, validationAccuracy: validationAccuracy,
                learningRates: learningRates, seconds: TrainingSession.seconds(since: start),
                imagesPerSecond: training.imagesPerSecond, dataWaitSeconds: training.waitSeconds,
                cachedFeatures: training.cached ? true : nil)
            let isBest = earlyStopping.record(epoch: number, accuracy: validationAccuracy, loss: validationLoss)
            manifest.epochs.append(epoch)
            nextEpoch = number
            try saveEpoch(number, isBest: isBest)
            events(.epochFinished(epoch, isBest: isBest))
            if earlyStopping.shouldStop && nextEpoch < options.epochs {
                manifest.status = .earlyStopped
                manifest.message =
                    "validation has not improved for \(earlyStopping.epochsWithoutImprovement) epochs (--patience "
                    + "\(options.patience ?? 0)); the best is epoch \(earlyStopping.bestEpoch ?? 0)"
                try writeManifest()
                return manifest
            }
        }
        guard nextEpoch == options.epochs else { return manifest }
        manifest.status = .completed
        manifest.message = nil
        try writeManifest()
        return manifest
    }

    /// One pass over the training batches: forward, cross-entropy, backward, optimizer step, zero the gradients;
    /// with ``trainFeatures`` complete, fc alone on the cached features (`cached` in the result).
    private func trainOneEpoch(
        number: Int, events: (TrainingEvent) -> Void
    ) throws -> (loss: Double, accuracy: Double, imagesPerSecond: Double, waitSeconds: Double, cached: Bool) {
        strategy.enterTrainingMode(model)
        trainLoader.epoch = number - 1
        // The cached features stand in for the backbone only while nothing below fc can change them.
        let cache =
            FeatureCache.obstacle(model: model, augmented: manifest.options.augment) == nil ? trainFeatures : nil
        let fromCache = cache?.isComplete ?? false
        let features = cache?.makeIterator()
        var iterator = features == nil ? trainLoader.makeIterator() : nil
        let start = DispatchTime.now().uptimeNanoseconds
        var (lossSum, correct, images, batch, waitSeconds) = (0.0, 0, 0, 0, 0.0)
        while true {
            try checkInterruption("in epoch \(number), after \(batch) of \(trainLoader.count) batches")
            let waitStart = DispatchTime.now().uptimeNanoseconds
            let logits: Tensor
            let labels: [Int]
            if let features {
                guard let result = features.next() else { break }
                let cached = try result.get()
                waitSeconds += cached.waitSeconds
                (logits, labels) = (model.fc(cached.features), cached.labels)
            } else {
                guard let result = iterator?.next() else { break }
                waitSeconds += TrainingSession.seconds(since: waitStart)
                let loaded = try result.get()
                (logits, labels) = (model(loaded.images), loaded.labels)
            }
            batch += 1
            let loss = crossEntropy(logits, target: labels)
            let value = loss.item()
            guard value.isFinite else { try stopDiverged(epoch: number, batch: batch, loss: value, during: nil) }
            loss.backward()
            optimizer.step()
            optimizer.zeroGrad()
            let predictions = Trainer.argmaxRows(logits)
            correct += zip(predictions, labels).filter { $0 == $1 }.count
            lossSum += Double(value) * Double(labels.count)
            images += labels.count
            events(
                .batch(
                    BatchProgress(
                        epoch: number, epochs: manifest.options.epochs, batch: batch, batches: trainLoader.count,
                        images: images, meanLoss: lossSum / Double(images),
                        accuracy: Double(correct) / Double(images), seconds: TrainingSession.seconds(since: start),
                        waitSeconds: waitSeconds)))
        }
        let seconds = TrainingSession.seconds(since: start)
        guard images > 0 else {
            throw TrainingError.dataLayout(
                path: manifest.options.data, reason: "every training image of epoch \(number) was skipped")
        }
        return (
            lossSum / Double(images), Double(correct) / Double(images), Double(images) / seconds, waitSeconds,
            fromCache
        )
    }

    /// The mean cross-entropy and the accuracy over the validation images, in eval mode without autograd.
    private func validate() throws -> (loss: Double, accuracy: Double) {
        model.eval()
        var (lossSum, correct, images) = (0.0, 0, 0)
        let model = self.model
        let batches: AnyIterator<Result<(logits: Tensor, labels: [Int]), any Error>>
        if let validationFeatures {
            let features = validationFeatures.makeIterator()
            batches = AnyIterator {
                features.next().map { result in
                    result.map { batch in (noGrad { model.fc(batch.features) }, batch.labels) }
                }
            }
        } else {
            var loaded = validationLoader.makeIterator()
            batches = AnyIterator {
                loaded.next().map { result in result.map { batch in (noGrad { model(batch.images) }, batch.labels) } }
            }
        }
        while true {
            try checkInterruption("while validating epoch \(nextEpoch + 1)")
            guard let result = batches.next() else { break }
            let (logits, labels) = try result.get()
            let loss = noGrad { crossEntropy(logits, target: labels) }.item()
            lossSum += Double(loss) * Double(labels.count)
            correct += zip(Trainer.argmaxRows(logits), labels).filter { $0 == $1 }.count
            images += labels.count
        }
        guard images > 0 else {
            throw TrainingError.dataLayout(
                path: manifest.options.data, reason: "every validation image was skipped")
        }
        return (lossSum / Double(images), Double(correct) / Double(images))
    }

    /// Throws ``TrainingError/interrupted(during:kept:)`` when a stop was requested; `during` is nil between epochs.
    private func checkInterruption(_ during: String?) throws {
        guard stopRequested() else { return }
        throw TrainingError.interrupted(
            during: during ?? "after epoch \(nextEpoch) was saved", kept: lastGoodCheckpoint)
    }

    /// Where the last good checkpoint is, and how to continue from it.
    public var lastGoodCheckpoint: String {
        savedEpoch == 0 || !FileManager.default.fileExists(atPath: run.lastCheckpointPath)
            ? "no epoch had finished, so no checkpoint was written (\(run.path) holds only run.json)"
            : "the last good checkpoint is \(run.lastCheckpointPath) (epoch \(savedEpoch)); continue with "
                + "--resume \(run.path)"
    }

    /// Records the divergence in `run.json` and throws it; the checkpoints are not touched.
    private func stopDiverged(epoch: Int, batch: Int, loss: Float, during phase: String?) throws -> Never {
        let kept =
            nextEpoch == 0
            ? "no epoch had finished, so no checkpoint was written"
            : "the checkpoints of epoch \(nextEpoch) in \(run.path) are intact"
        let error = TrainingError.diverged(epoch: epoch, batch: batch, loss: loss, kept: kept)
        manifest.status = .diverged
        manifest.message = phase.map { "\(error) (\($0))" } ?? error.description
        try writeManifest()
        throw error
    }

    /// `best.safetensors` if `isBest`, then `last.safetensors`, then `run.json`.
    private func saveEpoch(_ number: Int, isBest: Bool) throws {
        if isBest {
            var weights = model.checkpointStateDict()
            weights.metadata = ["format": "pt", "epoch": String(number)]
            try save(run.bestCheckpointPath) {
                try Checkpoint.save(weights, to: run.bestCheckpointPath, format: .safetensors)
            }
        }
        let state = TrainingState(
            epoch: number, classes: manifest.classes, model: model, optimizerName: manifest.options.optimizer,
            optimizer: optimizer.stateDict(), scheduler: scheduler?.stateDict(), earlyStopping: earlyStopping,
            history: manifest.epochs)
        try save(run.lastCheckpointPath) { try state.save(to: run.lastCheckpointPath) }
        savedEpoch = number
        manifest.best = earlyStopping.bestEpoch
        manifest.skippedFiles = skippedFiles
        try writeManifest()
    }

    /// Writes `run.json`.
    func writeManifest() throws {
        try save(run.manifestPath) { try run.writeManifest(manifest) }
    }

    /// Runs `write`, turning a failed write into ``TrainingError/saveFailed(path:reason:kept:)``.
    private func save(_ path: String, _ write: () throws -> Void) throws {
        let name = (path as NSString).lastPathComponent
        let kept =
            FileManager.default.fileExists(atPath: path)
            ? "the previous \(name) is intact" : "nothing was written in its place"
        do {
            try write()
        } catch let error as CheckpointError {
            guard case let .writeFailed(_, reason) = error else { throw error }
            throw TrainingError.saveFailed(path: path, reason: reason, kept: kept + resumeHint(reason))
        } catch let error as AtomicFile.WriteError {
            throw TrainingError.saveFailed(path: path, reason: error.reason, kept: kept + resumeHint(error.reason))
        }
    }

    /// How to continue after a save that failed for `reason` (a full disk, a read-only or forbidden folder).
    private func resumeHint(_ reason: String) -> String {
        guard FileManager.default.fileExists(atPath: run.lastCheckpointPath) else { return "" }
        let unwritable = reason.contains("Read-only") || reason.contains("Permission denied")
        return
            "; once \(unwritable ? "the folder can be written" : "there is room"), continue with --resume \(run.path)"
    }

    /// Every file either loader has skipped, nil when none.
    private var skippedFiles: [String]? {
        let files = manifest.skippedFiles.map(Set.init) ?? []
        let all = files.union(trainLoader.skippedFiles).union(validationLoader.skippedFiles)
        return all.isEmpty ? nil : all.sorted()
    }

    static func seconds(since start: UInt64) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}
