import Foundation
import NN
import Optim
import Tensors
import Vision

/// The post's experiment on the embedded data: for each ``TransferSetting`` and seed, build resnet18, load the
/// pretrained weights (except from scratch), replace `fc` for the target classes, freeze as the setting says,
/// train with cross-entropy and SGD with momentum, and score the validation set.
public struct TransferExperiment {
    public struct Budget: Sendable {
        public var epochs: Int
        public var batchSize: Int
        public var lr: Double
        public var momentum: Double

        /// The budget of the PyTorch premise table (Fixtures/data/premise_pytorch.json, "small"): 15 labelled
        /// images, 15 epochs of one batch, SGD 0.03 with momentum 0.9.
        public static let small = Budget(epochs: 15, batchSize: 16, lr: 0.03, momentum: 0.9)
    }

    /// One training run's result.
    public struct Run: Sendable {
        public let setting: TransferSetting
        public let seed: UInt64
        public let metrics: ClassificationMetrics
        public let finalLoss: Double
    }

    public let fixtures: EmbeddedFixtures
    public let budget: Budget

    public init(fixtures: EmbeddedFixtures, budget: Budget = .small) {
        self.fixtures = fixtures
        self.budget = budget
    }

    /// Decode, convert to RGB, scale to [0, 1], normalise as the model was pretrained.
    var transform: Compose { Compose([ToTensor(), Normalize(mean: fixtures.mean, std: fixtures.std)]) }

    /// The model for `setting`: pretrained weights loaded strictly into a 5-class resnet18, then a new `fc`, its
    /// initial weights drawn from `seed`'s own sequence (``ManualSeed/withSeed(_:_:)``), so a run is the same
    /// whatever else the process is doing.
    public func makeModel(for setting: TransferSetting, classes: Int, seed: UInt64) throws -> ResNet {
        try ManualSeed.withSeed(seed) {
            let model = resnet18(numClasses: fixtures.pretrainedClasses, baseChannels: fixtures.baseChannels)
            if setting.usesPretrainedWeights { try model.loadCheckpoint(path: fixtures.checkpointPath) }
            model.fc = Linear(inFeatures: model.numFeatures, outFeatures: classes)
            setting.configureParameters(model)
            return model
        }
    }

    /// Trains and evaluates every setting under every seed, reporting each run to `log` as it finishes.
    public func run(settings: [TransferSetting], seeds: [UInt64], log: (Run) -> Void = { _ in }) throws -> [Run] {
        let train = try ImageFolder(root: fixtures.targetTrain)
        let validation = try ImageFolder(root: fixtures.targetValidation)
        require(
            train.classes == validation.classes,
            "train classes \(train.classes) differ from validation classes \(validation.classes)")
        let validationLoader = DataLoader(validation, batchSize: 128, transform: transform, cacheDecoded: true)
        var runs: [Run] = []
        for setting in settings {
            for seed in seeds {
                let model = try makeModel(for: setting, classes: train.classes.count, seed: seed)
                let loader = DataLoader(
                    train, batchSize: budget.batchSize, shuffle: true, seed: seed,
                    transform: transform, cacheDecoded: true)
                let optimizer = SGD(parameters: model.trainableParameters(), lr: budget.lr, momentum: budget.momentum)
                // The images are not augmented: with the backbone frozen and in eval mode, its features are
                // computed in the first epoch only (FeatureCache).
                setting.enterTrainingMode(model)
                let history =
                    FeatureCache.obstacle(model: model, augmented: false) == nil
                    ? try Trainer.fit(
                        model, optimizer: optimizer, features: FeatureCache(model: model, loader: loader),
                        epochs: budget.epochs, prepareEpoch: setting.enterTrainingMode)
                    : try Trainer.fit(
                        model, optimizer: optimizer, train: loader, epochs: budget.epochs,
                        prepareEpoch: setting.enterTrainingMode)
                let metrics = try Trainer.evaluate(model, on: validationLoader, classCount: train.classes.count)
                let run = Run(setting: setting, seed: seed, metrics: metrics, finalLoss: history.last?.meanLoss ?? 0)
                runs.append(run)
                log(run)
            }
        }
        return runs
    }
}
