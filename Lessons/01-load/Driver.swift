// The grader's driver for lesson 01 (the exercise executable's main.swift): runs one check of the learner's code
// and hands the results to the grader. Not part of the exercise; do not edit.
import ExerciseSupport
import Images
import NN
import Tensors
import Training
import Vision

/// The lesson's image and model, as the checks use them.
func lessonImage(_ context: ExerciseDriver.Context) throws -> Image {
    try ImageFolder.loadImage(path: context.path("Fixtures/data/target/val/digit_5/0005.png"))
}

func pretrainedModel(_ context: ExerciseDriver.Context) throws -> ResNet {
    let model = resnet18(numClasses: 5, baseChannels: 12)
    try model.loadCheckpoint(path: context.path("Fixtures/models/resnet18_w12_digits_source.pth"))
    return model
}

ExerciseDriver.main([
    "preprocess": { context in
        guard let pipeline = makePreprocessing() else { return context.output.markNotDone("makePreprocessing()") }
        let image = try pipeline(try lessonImage(context))
        context.output.set("input", image.reshape([1] + image.shape))  // PyTorch's reference is the batch of one
    },
    "predict": { context in
        let model = try pretrainedModel(context)
        let reference = Compose([ToTensor(), Normalize(mean: [0.3057], std: [0.327])])
        let image = try reference(try lessonImage(context))
        let batch = image.reshape([1] + image.shape)
        guard let logits = predict(model, batch) else { return context.output.markNotDone("predict(_:_:)") }
        context.output.set("logits", logits)
        context.output.set("requires_grad", integers: [logits.requiresGrad ? 1 : 0])
        context.output.set("training_after", integers: [model.training ? 1 : 0])
    },
])
