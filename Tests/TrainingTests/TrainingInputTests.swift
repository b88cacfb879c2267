import Checkpoints
import Foundation
import NN
import Testing
import Training
import Vision

/// What `workbench train` is given: data folders (and the bad ones), the validation split, the weights file and the
/// strategy.
@Suite("Training inputs")
struct TrainingInputTests {
    @Test("an empty class folder, a class only in val, a missing val/ and val/ beside --val-split are named")
    func badLayouts() throws {
        let data = try TrainingFixtures.trainAndVal()
        try FileManager.default.createDirectory(atPath: data + "/train/empty_class", withIntermediateDirectories: true)
        #expect {
            try TrainingData(folder: data, validationSplit: nil, seed: 0)
        } throws: { "\($0)".hasPrefix("found no valid file for the classes empty_class in '\(data)/train'") }
        try FileManager.default.removeItem(atPath: data + "/train/empty_class")

        let extra = try TrainingFixtures.dataFolder([("val", "digit_9", 2, 0)])
        try FileManager.default.moveItem(atPath: extra + "/val/digit_9", toPath: data + "/val/digit_9")
        #expect(
            throws: TrainingError.classesOnlyInValidation(
                validation: data + "/val", train: data + "/train", classes: ["digit_9"])
        ) { try TrainingData(folder: data, validationSplit: nil, seed: 0) }
        #expect {
            try TrainingData(folder: data, validationSplit: nil, seed: 0)
        } throws: { "\($0)".contains("class 'digit_9' has no folder in \(data)/train") }

        #expect { try TrainingData(folder: data, validationSplit: 0.2, seed: 0) } throws: {
            "\($0)".hasPrefix("\(data)/val: this validation folder exists, and --val-split 0.2 would ignore it")
        }
        try FileManager.default.removeItem(atPath: data + "/val")
        #expect { try TrainingData(folder: data, validationSplit: nil, seed: 0) } throws: {
            "\($0)" == "\(data): \(data)/val does not exist: give the data as train/<class>/... and "
                + "val/<class>/..., or hold out part of one ImageFolder with --val-split 0.2"
        }
        #expect(throws: TrainingError.dataLayout(path: "/nonexistent", reason: "no such folder (--data)")) {
            try TrainingData(folder: "/nonexistent", validationSplit: nil, seed: 0)
        }
    }

    @Test("a class missing from val/ keeps the training numbering, with a warning")
    func classMissingFromValidation() throws {
        let data = try TrainingFixtures.trainAndVal()
        try FileManager.default.removeItem(atPath: data + "/val/digit_6")
        let split = try TrainingData(folder: data, validationSplit: nil, seed: 0)
        #expect(split.classes == ["digit_5", "digit_6", "digit_7"])
        #expect(Set(split.validation.targets) == [0, 2])
        #expect(split.warnings == ["class 'digit_6' has no folder in \(data)/val, so it is never validated"])
    }

    @Test("--val-split is stratified, seeded and recorded; applying the record gives the same split")
    func validationSplit() throws {
        let folder = try TrainingFixtures.dataFolder(
            [("", "digit_5", 10, 0), ("", "digit_6", 5, 0), ("", "digit_7", 1, 0)])
        let data = try TrainingData(folder: folder, validationSplit: 0.2, seed: 7)
        let split = try #require(data.split)
        #expect(split.method == "stratified" && split.fraction == 0.2 && split.seed == 7)
        // round(0.2 * 10) = 2, round(0.2 * 5) = 1, and a single image stays in training.
        #expect(data.validation.targets == [0, 0, 1] && data.train.count == 13)
        #expect(split.validationFiles.allSatisfy { $0.hasPrefix("digit_5/") || $0.hasPrefix("digit_6/") })
        #expect(
            data.warnings == [
                "class 'digit_7' has a single image, so it is trained on and never validated (--val-split)"
            ])
        let again = try TrainingData(folder: folder, validationSplit: 0.2, seed: 7)
        #expect(again.split == split)
        let other = try TrainingData(folder: folder, validationSplit: 0.2, seed: 8)
        #expect(other.split?.validationFiles != split.validationFiles)
        let applied = try split.apply(to: ImageFolder(root: folder), manifestPath: "run.json")
        #expect(applied.validation.samples == data.validation.samples && applied.train.samples == data.train.samples)
        let session = try TrainingFixtures.start(
            data: folder,
            options: {
                var options = TrainingFixtures.options(data: folder, epochs: 1)
                options.validationSplit = 0.2
                return options
            }())
        #expect(try session.run.readManifest().split?.validationFiles.count == 3)
    }

    @Test("a corrupt image stops the run naming the file, or is skipped with a warning naming it")
    func corruptImage() throws {
        let data = try TrainingFixtures.trainAndVal()
        let bad = data + "/train/digit_6/broken.png"
        let good = try Data(contentsOf: URL(fileURLWithPath: try firstPNG(in: data + "/train/digit_6")))
        try good.prefix(good.count / 2).write(to: URL(fileURLWithPath: bad))  // truncated
        let session = try TrainingFixtures.start(data: data, options: TrainingFixtures.options(data: data, epochs: 1))
        #expect { try session.fit() } throws: { "\($0)".hasPrefix("PNG file '\(bad)' is corrupt") }
        #expect(try session.run.readManifest().status == .running)

        var options = TrainingFixtures.options(data: data, epochs: 1)
        options.skipBadFiles = true
        let skipping = try TrainingFixtures.start(data: data, options: options)
        var warnings: [String] = []
        let manifest = try skipping.fit { if case let .warning(text) = $0 { warnings.append(text) } }
        #expect(warnings.count == 1 && warnings[0].hasPrefix("skipped an image: PNG file '\(bad)' is corrupt"))
        #expect(manifest.skippedFiles == [bad] && manifest.status == .completed)
    }

    @Test("the weights file gives the architecture and width; fc is replaced; foreign files are named")
    func weights() throws {
        let path = try TrainingFixtures.weights()
        let weights = try PretrainedWeights.file(path)
        #expect(weights.architecture == .resnet18 && weights.baseChannels == 4 && weights.pretrainedClasses == 10)
        #expect(weights.preprocessing == .imageNet)
        let model = try weights.makeModel(classCount: 3, seed: 0)
        let source = try Checkpoint.load(path: path)
        #expect(model.fc.outFeatures == 3)
        #expect(model.conv1.weight.toArray() == source["conv1.weight"]?.floats)
        #expect(model.layer4[1].stateDict().first?.value.toArray() == source["layer4.1.conv1.weight"]?.floats)
        #expect { try weights.check(requested: .resnet50) } throws: {
            "\($0)".contains("--model resnet50 was asked for, but the file holds a resnet18 (width 4)")
        }
        var headless = StateDict(source.entries.filter { !$0.key.hasPrefix("layer4.1.") })
        headless.metadata = source.metadata
        let partial = try TrainingFixtures.temporaryFolder("weights") + "/partial.safetensors"
        try Checkpoint.save(headless, to: partial)
        #expect { try PretrainedWeights.file(partial) } throws: {
            "\($0)".contains("blocks per stage [2, 2, 2, 1]")
        }
        let notResNet = try TrainingFixtures.temporaryFolder("weights") + "/linear.safetensors"
        try Linear(inFeatures: 2, outFeatures: 2).saveCheckpoint(path: notResNet)
        #expect { try PretrainedWeights.file(notResNet) } throws: {
            "\($0)" == "\(notResNet): no 4-d conv1.weight, so not a torchvision ResNet state dict (its first keys: "
                + "weight, bias)"
        }
    }

    @Test("strategies: names, trainable sets (last:K as lesson 03 counts blocks) and the two parameter groups")
    func strategies() throws {
        #expect(TrainingStrategy(argument: "last:2") == .lastBlocks(2))
        for bad in ["last:0", "last:", "last:x", "frozen", "layer4"] { #expect(TrainingStrategy(argument: bad) == nil) }
        let model = resnet18(numClasses: 3, baseChannels: 4)
        TrainingStrategy.lastBlocks(3).configureParameters(model)
        let trainable = model.namedParameters().filter { $0.1.requiresGrad }.map(\.0)
        #expect(trainable.allSatisfy { $0.hasPrefix("layer3.1.") || $0.hasPrefix("layer4.") || $0.hasPrefix("fc.") })
        #expect(trainable.contains("layer3.1.conv1.weight") && !trainable.contains("layer3.0.conv1.weight"))
        #expect(TrainingStrategy.lastBlocks(2).transferSetting(for: model) == .layer4)
        #expect(TrainingStrategy.lastBlocks(9).blockCountError(for: model)?.contains("only 8 residual blocks") == true)
        let groups = TrainingStrategy.lastBlocks(3).parameterGroups(model)
        #expect(groups.head.count == 2 && groups.backbone.count == trainable.count - 2)
        TrainingStrategy.featureExtractEval.configureParameters(model)
        TrainingStrategy.featureExtractEval.enterTrainingMode(model)
        #expect(TrainingStrategy.featureExtractEval.parameterGroups(model).backbone.isEmpty)
        #expect(!model.bn1.training && model.fc.training)
    }

    private func firstPNG(in folder: String) throws -> String {
        folder + "/" + (try FileManager.default.contentsOfDirectory(atPath: folder).sorted().first!)
    }
}
