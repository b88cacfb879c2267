import Checkpoints
import Foundation
import NN
import Testing
import Training

/// `workbench train`'s loop on a width-4 resnet18 and a few 32x32 digits: files after each epoch, resume equality,
/// divergence, early stopping, and refusing to overwrite a run.
@Suite("Training sessions")
struct TrainingSessionTests {
    /// The largest absolute difference between two safetensors files' tensors, which must have the same keys.
    static func maxDifference(_ a: String, _ b: String) throws -> (keys: Int, difference: Float) {
        let (first, second) = (try Checkpoint.load(path: a), try Checkpoint.load(path: b))
        #expect(first.keys == second.keys)
        var worst: Float = 0
        for entry in first.entries {
            let other = try #require(second[entry.key])
            #expect(other.shape == entry.tensor.shape, "\(entry.key)")
            switch (entry.tensor.values, other.values) {
            case let (.float(x), .float(y)): worst = max(worst, zip(x, y).map { abs($0 - $1) }.max() ?? 0)
            case let (.integer(x), .integer(y)): worst = max(worst, Float(zip(x, y).map { abs($0 - $1) }.max() ?? 0))
            default: Issue.record("\(entry.key): different dtypes")
            }
        }
        return (first.count, worst)
    }

    @Test("each epoch writes best, last and run.json; the best loads strictly into the run's model")
    func filesAfterEachEpoch() throws {
        let data = try TrainingFixtures.trainAndVal()
        let session = try TrainingFixtures.start(data: data, options: TrainingFixtures.options(data: data, epochs: 2))
        var finished: [Int] = []
        var batches = 0
        let manifest = try session.fit { event in
            switch event {
            case let .epochFinished(epoch, _):
                finished.append(epoch.epoch)
                #expect((try? session.run.readManifest().epochs.count) == epoch.epoch)
            case .batch: batches += 1
            default: break
            }
        }
        #expect(finished == [1, 2] && batches == 2 * 4)  // 15 images in batches of 4
        #expect(manifest.status == .completed && manifest.epochs.count == 2)
        #expect(manifest.classes == ["digit_5", "digit_6", "digit_7"])
        #expect(manifest.model == .init(architecture: "resnet18", baseChannels: 4, weights: manifest.model.weights))
        #expect(manifest.epochs[0].learningRates == [0.005, 0.05])  // backbone, head
        #expect(manifest.epochs[1].learningRates == [0.005, 0.05])
        let (model, read) = try session.run.loadModel()
        #expect(read == manifest && !model.training && model.fc.outFeatures == 3)
        let state = try TrainingState.load(path: session.run.lastCheckpointPath)
        #expect(state.epoch == 2 && state.history == manifest.epochs)
        let (lastModel, _) = try session.run.loadModel(checkpoint: session.run.lastCheckpointPath)
        #expect(lastModel.fc.weight.toArray() == session.model.fc.weight.toArray())
        #expect(state.scheduler?.lastLR == [0.0025, 0.025])  // StepLR(step 2, gamma 0.5) after 2 epochs
        #expect(state.optimizer.state.count == model.parameters().count)  // every parameter trains
    }

    @Test("a run resumed from last.safetensors ends with the same weights and optimizer state, bit for bit")
    func resumeIsExact() throws {
        let data = try TrainingFixtures.trainAndVal()
        let weights = try TrainingFixtures.weights()
        for (optimizer, schedule, strategy) in [
            ("sgd", "step", "last:3"), ("adamw", "cosine", "fine-tune"), ("adam", "none", "feature-extract"),
        ] {
            let options = TrainingFixtures.options(
                data: data, epochs: 3, strategy: strategy, optimizer: optimizer, schedule: schedule,
                lr: optimizer == "sgd" ? 0.05 : 0.003)
            let whole = try TrainingFixtures.start(data: data, options: options, weights: weights)
            try whole.fit()
            // The same run stopped after its first epoch, as a kill after the first save leaves it, then resumed
            // by a new session that reads everything from the run folder.
            let first = try TrainingFixtures.start(data: data, options: options, weights: weights)
            #expect(try first.fit(upTo: 1).status == .running)
            let resumed = try TrainingSession.resume(
                run: first.run, data: TrainingData(folder: data, validationSplit: nil, seed: options.seed))
            #expect(resumed.nextEpoch == 1)
            try resumed.fit()
            let last = try Self.maxDifference(whole.run.lastCheckpointPath, first.run.lastCheckpointPath)
            let best = try Self.maxDifference(whole.run.bestCheckpointPath, first.run.bestCheckpointPath)
            #expect(last.difference == 0 && best.difference == 0, "\(optimizer) \(schedule) \(strategy)")
            #expect(last.keys > best.keys)  // the optimizer's state is compared too
            let (a, b) = (try whole.run.readManifest(), try first.run.readManifest())
            #expect(a.epochs.map(\.validationLoss) == b.epochs.map(\.validationLoss) && a.best == b.best)
            #expect(b.status == .completed)
        }
    }

    @Test("a NaN or infinite loss stops with the epoch and batch, status diverged, and the last good checkpoint")
    func divergence() throws {
        let data = try TrainingFixtures.trainAndVal()
        var options = TrainingFixtures.options(data: data, epochs: 3)
        options.lrStepSize = 1
        options.lrGamma = 1e12  // epoch 1 trains normally, then the learning rate explodes
        let session = try TrainingFixtures.start(data: data, options: options)
        let before = session.run.lastCheckpointPath
        var saved: Data?
        var thrown: TrainingError?
        do {
            try session.fit { event in
                if case .epochFinished = event { saved = FileManager.default.contents(atPath: before) }
            }
        } catch let error as TrainingError {
            thrown = error
        }
        guard case let .diverged(epoch, batch, loss, kept)? = thrown else {
            Issue.record("expected a divergence, got \(String(describing: thrown))")
            return
        }
        #expect(epoch == 2 && (1...4).contains(batch) && !loss.isFinite)
        #expect(kept == "the checkpoints of epoch 1 in \(session.run.path) are intact")
        let value = loss.isNaN ? "nan" : loss > 0 ? "inf" : "-inf"
        #expect("\(thrown!)".hasPrefix("training diverged: the loss became \(value) at epoch 2, batch \(batch)"))
        let manifest = try session.run.readManifest()
        #expect(manifest.status == .diverged && manifest.epochs.count == 1 && manifest.best == 1)
        #expect(manifest.message?.contains("epoch 2, batch \(batch)") == true)
        #expect(FileManager.default.contents(atPath: before) == saved)
        #expect(try TrainingState.load(path: before).epoch == 1)
        _ = try session.run.loadModel()
    }

    @Test("patience stops a run whose validation does not improve, and keeps the best epoch")
    func earlyStopping() throws {
        let data = try TrainingFixtures.trainAndVal()
        // lr 0 with a frozen backbone in eval mode: nothing changes, so epoch 1 stays the best.
        var options = TrainingFixtures.options(data: data, epochs: 5, strategy: "feature-extract-eval", lr: 0)
        options.patience = 2
        let session = try TrainingFixtures.start(data: data, options: options)
        let manifest = try session.fit()
        #expect(manifest.status == .earlyStopped && manifest.epochs.count == 3 && manifest.best == 1)
        #expect(manifest.message?.contains("has not improved for 2 epochs") == true)
        #expect(
            try TrainingState.load(path: session.run.lastCheckpointPath).earlyStopping.epochsWithoutImprovement == 2)
    }

    @Test("an existing run is never overwritten without --overwrite; a non-empty foreign folder is refused")
    func refusesToOverwrite() throws {
        let data = try TrainingFixtures.trainAndVal()
        let options = TrainingFixtures.options(data: data, epochs: 1)
        let session = try TrainingFixtures.start(data: data, options: options)
        try session.fit()
        let best = FileManager.default.contents(atPath: session.run.bestCheckpointPath)
        #expect {
            try TrainingFixtures.start(data: data, options: options, run: session.run.path)
        } throws: {
            "\($0)" == "\(session.run.path): already holds a training run (1 of 1 epochs, status completed); "
                + "pass --resume \(session.run.path) to continue it, or --overwrite to replace it"
        }
        #expect(FileManager.default.contents(atPath: session.run.bestCheckpointPath) == best)
        #expect { try TrainingFixtures.start(data: data, options: options, run: data) } throws: {
            "\($0)".contains("is not empty and holds no run.json")
        }
        #expect {
            try TrainingSession.resume(
                run: session.run, data: TrainingData(folder: data, validationSplit: nil, seed: 0))
        } throws: { "\($0)".contains("all 1 epochs are done (status completed); pass --epochs N") }
    }

    @Test("resume refuses data with other classes, a state from another version, and a run without a finished epoch")
    func resumeRefusals() throws {
        let data = try TrainingFixtures.trainAndVal()
        let session = try TrainingFixtures.start(data: data, options: TrainingFixtures.options(data: data, epochs: 2))
        try session.fit(upTo: 1)
        let other = try TrainingFixtures.trainAndVal(classes: 4)
        #expect {
            try TrainingSession.resume(
                run: session.run, data: TrainingData(folder: other, validationSplit: nil, seed: 0))
        } throws: {
            "\($0)".hasPrefix(
                "\(session.run.manifestPath): cannot resume: the run's classes [\"digit_5\", "
                    + "\"digit_6\", \"digit_7\"] differ from the data's [\"digit_5\", \"digit_6\", \"digit_7\", "
                    + "\"digit_8\"]"
            )
        }
        var state = try Checkpoint.load(path: session.run.lastCheckpointPath)
        state.metadata["version"] = "2"
        try Checkpoint.save(state, to: session.run.lastCheckpointPath)
        let sameData = try TrainingData(folder: data, validationSplit: nil, seed: 0)
        #expect(
            throws: TrainingError.unsupportedStateVersion(
                path: session.run.lastCheckpointPath, found: "2", supported: 1)
        ) {
            try TrainingSession.resume(run: session.run, data: sameData)
        }
        try FileManager.default.removeItem(atPath: session.run.lastCheckpointPath)
        #expect { try TrainingSession.resume(run: session.run, data: sameData) } throws: {
            "\($0)".contains("last.safetensors: cannot resume: missing: no epoch of this run finished")
        }
    }

    @Test("a write that fails names the file and leaves every file of the previous epoch as it was")
    func failedSave() throws {
        let data = try TrainingFixtures.trainAndVal()
        let session = try TrainingFixtures.start(data: data, options: TrainingFixtures.options(data: data, epochs: 1))
        // A folder where run.json belongs makes its rename fail after both checkpoints were written.
        let run = session.run
        try FileManager.default.removeItem(atPath: run.manifestPath)
        try FileManager.default.createDirectory(
            atPath: run.manifestPath + "/blocker", withIntermediateDirectories: true)
        #expect { try session.fit() } throws: {
            "\($0)" == "\(run.manifestPath): cannot write: Is a directory; the previous run.json is intact; once "
                + "there is room, continue with --resume \(run.path)"
        }
        #expect(try TrainingState.load(path: run.lastCheckpointPath).epoch == 1)
        #expect(!(try FileManager.default.contentsOfDirectory(atPath: run.path)).contains { $0.contains(".partial-") })
    }
}
