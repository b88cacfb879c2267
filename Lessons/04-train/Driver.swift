// The grader's driver for lesson 04 (the exercise executable's main.swift): runs one check of the learner's code
// and hands the results to the grader. Not part of the exercise; do not edit.
import ExerciseSupport
import Foundation
import NN
import Optim
import Tensors
import Training
import Vision

/// The lesson's starting point: the pretrained model frozen, the new head drawn by the portable rule (the values
/// PyTorch used), layer4 unfrozen, train mode; and the SGD of the post over the trainable parameters.
func startingPoint(_ context: ExerciseDriver.Context) throws -> (ResNet, SGD) {
    let model = resnet18(numClasses: 5, baseChannels: 12)
    try model.loadCheckpoint(path: context.path("Fixtures/models/resnet18_w12_digits_source.pth"))
    model.freeze()
    let head = Linear(inFeatures: model.numFeatures, outFeatures: 5)
    let bound = Float(1 / (96.0).squareRoot())
    head.weight.assign(
        Tensor(shape: [5, 96], values: PortableRandom(name: "fc.weight", seed: 0).symmetric(480, bound: bound)))
    head.bias!.assign(Tensor(shape: [5], values: PortableRandom(name: "fc.bias", seed: 0).symmetric(5, bound: bound)))
    model.fc = head
    model.layer4.unfreeze()
    model.train()
    return (model, SGD(parameters: model.trainableParameters(), lr: 0.001, momentum: 0.9))
}

/// target/train in ImageFolder order, batches of 5, preprocessed as the model was trained.
func trainBatches(_ context: ExerciseDriver.Context) throws -> [Batch] {
    let folder = try ImageFolder(root: context.path("Fixtures/data/target/train"))
    let loader = DataLoader(
        folder, batchSize: 5, shuffle: false,
        transform: Compose([ToTensor(), Normalize(mean: [0.3057], std: [0.327])]))
    return try loader.map { try $0.get() }
}

/// Runs `steps` training steps and writes each loss and the trainable parameters after each step.
func runSteps(_ context: ExerciseDriver.Context, _ steps: Int) throws {
    let (model, optimizer) = try startingPoint(context)
    let batches = try trainBatches(context)
    var losses: [Float] = []
    for step in 1...steps {
        let batch = batches[(step - 1) % batches.count]
        guard let loss = trainStep(model, optimizer, batch.images, batch.labels) else {
            return context.output.markNotDone("trainStep(_:_:_:_:)")
        }
        losses.append(loss)
        for (name, parameter) in model.namedParameters() where parameter.requiresGrad {
            context.output.set("step\(step):\(name)", parameter)  // a copy of its values after this step
        }
    }
    context.output.set("losses", Tensor(shape: [losses.count], values: losses))
    context.output.set(
        "trainable",
        text: model.namedParameters().filter { $0.1.requiresGrad }.map(\.0)
            .joined(separator: "\n"))
}

ExerciseDriver.main([
    "step1": { context in try runSteps(context, 1) },
    "steps": { context in try runSteps(context, 3) },
])
