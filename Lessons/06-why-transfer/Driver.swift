// The grader's driver for lesson 06 (the exercise executable's main.swift): runs one check of the learner's code
// and hands the results to the grader. Not part of the exercise; do not edit.
import ExerciseSupport
import NN
import Training

/// A freshly built model as every setting starts: pretrained weights, a new 5-class fc, everything trainable and in
/// train mode.
func freshModel(_ context: ExerciseDriver.Context) throws -> ResNet {
    let model = resnet18(numClasses: 5, baseChannels: 12)
    try model.loadCheckpoint(path: context.path("Fixtures/models/resnet18_w12_digits_source.pth"))
    model.fc = Linear(inFeatures: model.numFeatures, outFeatures: 5)
    model.unfreeze()
    model.train()
    return model
}

/// Writes what the grader compares: the trainable parameter names (named_parameters order) and every module's
/// mode (`name<TAB>1` in train mode, `0` in eval mode; the root is "").
func record(_ model: ResNet, _ context: ExerciseDriver.Context) {
    let trainable = model.namedParameters().filter { $0.1.requiresGrad }.map(\.0)
    context.output.set("trainable", text: trainable.joined(separator: "\n"))
    context.output.set(
        "modes",
        text: model.namedModules().map { "\($0.0)\t\($0.1.training ? 1 : 0)" }
            .joined(separator: "\n"))
}

func check(_ setting: String) -> (ExerciseDriver.Context) throws -> Void {
    { context in
        guard let model = configure(try freshModel(context), for: setting) else {
            return context.output.markNotDone("configure(_:for: \"\(setting)\")")
        }
        record(model, context)
    }
}

ExerciseDriver.main([
    "frozen-eval-trainable": check("frozen_eval"),
    "frozen-eval-modes": check("frozen_eval"),
    "layer4-fc-trainable": check("layer4_fc"),
    "layer4-fc-modes": check("layer4_fc"),
])
