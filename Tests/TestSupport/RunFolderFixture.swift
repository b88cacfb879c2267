import Foundation
import Golden
import NN
import Optim
import Tensors
import Training
import Vision

/// A real run folder for the tests of `evaluate`, `predict` and `export`, made with the Runs API as
/// `workbench train` makes one: the embedded pretrained resnet18 (width 12) with a new head for the target digits,
/// its fc trained with SGD for a few epochs on Fixtures/data/target/train, validated after each epoch on
/// target/val; run.json with every epoch's figures and best.safetensors with the best epoch's weights.
public enum RunFolderFixture {
    /// Makes the run in a new temporary folder and returns it.
    public static func make(epochs: Int = 3, seed: UInt64 = 0) throws -> RunDirectory {
        let folder = NSTemporaryDirectory() + "workbench-run-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let run = RunDirectory(path: folder)
        try make(in: run, epochs: epochs, seed: seed)
        return run
    }

    /// Trains and writes the run into `run`.
    public static func make(in run: RunDirectory, epochs: Int, seed: UInt64) throws {
        let fixtures = try EmbeddedFixtures(root: PackagePaths.root(from: #filePath).path)
        let train = try ImageFolder(root: fixtures.targetTrain)
        let validation = try ImageFolder(root: fixtures.targetValidation)
        let preprocessing = Preprocessing.embedded(fixtures)
        let model = try ManualSeed.withSeed(seed) { () -> ResNet in
            let model = resnet18(numClasses: fixtures.pretrainedClasses, baseChannels: fixtures.baseChannels)
            try model.loadCheckpoint(path: fixtures.checkpointPath)
            model.fc = Linear(inFeatures: model.numFeatures, outFeatures: train.classes.count)
            TransferSetting.featureExtractionEval.configureParameters(model)
            return model
        }
        let options = TrainingOptions(
            data: (fixtures.targetTrain as NSString).deletingLastPathComponent, strategy: "feature-extract-eval",
            epochs: epochs, batchSize: 8, lr: 0.05, momentum: 0.9, weightDecay: 0, optimizer: "sgd",
            schedule: "none", augment: false, seed: seed)
        var manifest = RunManifest(
            model: .init(architecture: "resnet18", baseChannels: fixtures.baseChannels, weights: "embedded"),
            classes: train.classes, preprocessing: preprocessing, options: options)
        let loader = DataLoader(
            train, batchSize: 8, shuffle: true, seed: seed, transform: preprocessing.evaluationTransform,
            cacheDecoded: true)
        let validationLoader = DataLoader(
            validation, batchSize: 64, transform: preprocessing.evaluationTransform, cacheDecoded: true)
        let optimizer = SGD(parameters: model.trainableParameters(), lr: 0.05, momentum: 0.9)
        var bestAccuracy = -1.0
        for epoch in 1...epochs {
            let start = Date()
            let history = try Trainer.fit(
                model, optimizer: optimizer, train: loader, epochs: 1,
                prepareEpoch: TransferSetting.featureExtractionEval.enterTrainingMode)
            let trainScores = try Evaluator.predict(
                model, on: DataLoader(train, batchSize: 64, transform: preprocessing.evaluationTransform))
            let validationScores = try Evaluator.predict(model, on: validationLoader)
            let seconds = Date().timeIntervalSince(start)
            let accuracy = fraction(validationScores)
            manifest.epochs.append(
                .init(
                    epoch: epoch, trainLoss: history[0].meanLoss, trainAccuracy: fraction(trainScores),
                    validationLoss: meanLoss(validationScores), validationAccuracy: accuracy, learningRates: [0.05],
                    seconds: seconds, imagesPerSecond: Double(train.count) / max(seconds, 1e-9)))
            if accuracy > bestAccuracy {
                bestAccuracy = accuracy
                manifest.best = epoch
                try model.saveCheckpoint(path: run.bestCheckpointPath)
            }
            try run.writeManifest(manifest)
        }
        manifest.status = .completed
        try run.writeManifest(manifest)
    }

    static func fraction(_ samples: [SamplePrediction]) -> Double {
        Double(samples.filter(\.isCorrect).count) / Double(max(samples.count, 1))
    }

    static func meanLoss(_ samples: [SamplePrediction]) -> Double {
        samples.map(\.loss).reduce(0, +) / Double(max(samples.count, 1))
    }
}
