// The grader's driver for lesson 02 (the exercise executable's main.swift): runs one check of the learner's code
// and hands the results to the grader. Not part of the exercise; do not edit.
import ExerciseSupport
import Images
import NN
import Tensors
import Training
import Vision

func pretrainedModel(_ context: ExerciseDriver.Context) throws -> ResNet {
    let model = resnet18(numClasses: 5, baseChannels: 12)
    try model.loadCheckpoint(path: context.path("Fixtures/models/resnet18_w12_digits_source.pth"))
    return model
}

/// Trainable names and counts, and the state-dict keys with shapes, as the grader compares them with PyTorch's.
func describeParameters(_ model: ResNet, _ output: ExerciseOutput, prefix: String = "") {
    let named = model.namedParameters()
    output.set(prefix + "trainable_names", text: named.filter { $0.1.requiresGrad }.map(\.0).joined(separator: "\n"))
    output.set(
        prefix + "counts",
        integers: [
            model.parameterCount(trainableOnly: true),
            model.parameterCount() - model.parameterCount(trainableOnly: true),
        ])
    output.set(prefix + "keys", text: model.stateDict().map { "\($0.key)\t\($0.value.shape)" }.joined(separator: "\n"))
}

ExerciseDriver.main([
    "freeze": { context in
        let model = try pretrainedModel(context)
        let pretrainedHead = model.fc
        guard let result = freezeAndReplaceHead(model, numClasses: 5) else {
            return context.output.markNotDone("freezeAndReplaceHead(_:numClasses:)")
        }
        describeParameters(result, context.output)
        context.output.set("head_replaced", integers: [result.fc === pretrainedHead ? 0 : 1])
        // The same on another copy for 3 classes: the head's shape must follow numClasses.
        let other = try pretrainedModel(context)
        if let three = freezeAndReplaceHead(other, numClasses: 3) {
            context.output.set("head_shape_3_classes", integers: three.fc.weight.shape)
        }
    },
    "batchnorm": { context in
        // The frozen feature extractor, made here as the lesson makes it, so this check grades only the modes.
        let model = try pretrainedModel(context)
        model.freeze()
        model.fc = Linear(inFeatures: model.numFeatures, outFeatures: 5)
        guard let result = prepareForTraining(model) else {
            return context.output.markNotDone("prepareForTraining(_:)")
        }
        // One training forward (no backward) on the first 5 images of target/train in ImageFolder order.
        let fixtures = try EmbeddedFixtures(root: context.root.path)
        let folder = try ImageFolder(root: fixtures.targetTrain)
        let pipeline = Compose([ToTensor(), Normalize(mean: fixtures.mean, std: fixtures.std)])
        let images = try (0..<5).map { try pipeline(try folder.loadImage(at: $0)) }
        let batch = Tensor(shape: [images.count] + images[0].shape, values: images.flatMap { $0.toArray() })
        _ = result(batch)
        let modules = Dictionary(uniqueKeysWithValues: result.namedModules())
        for name in ["bn1", "layer4.1.bn2"] {
            guard let bn = modules[name] as? BatchNorm2d else { continue }
            if let mean = bn.runningMean { context.output.set(name + ".running_mean", mean) }
            if let variance = bn.runningVar { context.output.set(name + ".running_var", variance) }
            context.output.set(name + ".num_batches_tracked", integers: [Int(bn.numBatchesTracked)])
        }
        context.output.set(
            "modes",
            integers: [
                result.bn1.training ? 1 : 0, result.layer4.training ? 1 : 0,
                result.fc.training ? 1 : 0,
            ])
        context.output.set("trainable_count", integers: [result.parameterCount(trainableOnly: true)])
    },
])
