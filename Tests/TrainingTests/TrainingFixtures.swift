import Foundation
import Golden
import NN
import Tensors
import Training

/// Small data folders and weights for the training tests: the embedded 32x32 digit PNGs copied into fresh
/// ImageFolders, and a resnet18 of width 4 saved as a torchvision-style safetensors file.
enum TrainingFixtures {
    static let digits = PackagePaths.file("Fixtures/data/target/val")

    static func temporaryFolder(_ name: String) throws -> String {
        let folder = NSTemporaryDirectory() + "training-\(name)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    /// `root/<split>/<class>/*.png` for each `(split, class, count)`: `count` digit images of that class, the
    /// `offset`th onwards, so train and val get different images.
    static func dataFolder(
        _ layout: [(split: String, className: String, count: Int, offset: Int)], name: String = "data"
    ) throws -> String {
        let root = try temporaryFolder(name)
        for item in layout {
            let source = digits + "/" + item.className
            let files = try FileManager.default.contentsOfDirectory(atPath: source).sorted()
            let target = [root, item.split, item.className].filter { !$0.isEmpty }.joined(separator: "/")
            try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
            for file in files[item.offset..<item.offset + item.count] {
                try FileManager.default.copyItem(atPath: source + "/" + file, toPath: target + "/" + file)
            }
        }
        return root
    }

    /// train/ and val/ with `train` and `validation` images of each of `classes` digit classes.
    static func trainAndVal(classes: Int = 3, train: Int = 5, validation: Int = 3) throws -> String {
        let names = (5..<5 + classes).map { "digit_\($0)" }
        return try dataFolder(
            names.map { ("train", $0, train, 0) } + names.map { ("val", $0, validation, train) })
    }

    /// A resnet18 of width 4 with a 10-class head, initialised from `seed`, saved as safetensors.
    static func weights(seed: UInt64 = 1) throws -> String {
        let path = try temporaryFolder("weights") + "/resnet18_w4.safetensors"
        let model = ManualSeed.withSeed(seed) { resnet18(numClasses: 10, baseChannels: 4) }
        try model.saveCheckpoint(path: path)
        return path
    }

    /// Options for a short run on `data` (SGD, step schedule, augmentation on, 3 epochs of batch 4).
    static func options(
        data: String, epochs: Int = 3, strategy: String = "fine-tune", optimizer: String = "sgd",
        schedule: String = "step", lr: Double = 0.05
    ) -> TrainingOptions {
        TrainingOptions(
            data: data, strategy: strategy, epochs: epochs, batchSize: 4, lr: lr, backboneLR: lr / 10,
            momentum: 0.9, weightDecay: 1e-4, optimizer: optimizer, schedule: schedule, lrStepSize: 2,
            lrGamma: 0.5, augment: true, seed: 3)
    }

    /// A new session over `data` with `options`, in a new run folder.
    static func start(
        data: String, options: TrainingOptions, weights: String? = nil, run: String? = nil, cacheFeatures: Bool = true
    ) throws -> TrainingSession {
        let pretrained = try PretrainedWeights.file(weights ?? self.weights())
        let strategy = TrainingStrategy(argument: options.strategy)!
        return try TrainingSession.start(
            run: RunDirectory(path: run ?? temporaryFolder("run") + "/run"), options: options, weights: pretrained,
            data: TrainingData(folder: data, validationSplit: options.validationSplit, seed: options.seed),
            preprocessing: pretrained.preprocessing.resized(to: 32), strategy: strategy, cacheFeatures: cacheFeatures)
    }
}
