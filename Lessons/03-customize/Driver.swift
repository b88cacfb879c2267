// The grader's driver for lesson 03 (the exercise executable's main.swift): runs one check of the learner's code
// and hands the results to the grader. Not part of the exercise; do not edit.
import ExerciseSupport
import NN
import Tensors
import Training

/// The embedded pretrained model, frozen, with a new head (lesson 02's freeze-then-replace).
func frozenModelWithNewHead(_ context: ExerciseDriver.Context) throws -> ResNet {
    let model = resnet18(numClasses: 5, baseChannels: 12)
    try model.loadCheckpoint(path: context.path("Fixtures/models/resnet18_w12_digits_source.pth"))
    model.freeze()
    model.fc = Linear(inFeatures: model.numFeatures, outFeatures: 5)
    return model
}

func unfreezeCheck(_ n: Int) -> (ExerciseDriver.Context) throws -> Void {
    { context in
        let model = try frozenModelWithNewHead(context)
        guard let result = unfreezeLastBlocks(model, n) else {
            return context.output.markNotDone("unfreezeLastBlocks(_:_:)")
        }
        let trainable = result.namedParameters().filter { $0.1.requiresGrad }
        context.output.set("trainable_names", text: trainable.map(\.0).joined(separator: "\n"))
        context.output.set("trainable_count", integers: [result.parameterCount(trainableOnly: true)])
    }
}

ExerciseDriver.main([
    "blocks-1": unfreezeCheck(1),
    "blocks-2": unfreezeCheck(2),
    "blocks-3": unfreezeCheck(3),
])
