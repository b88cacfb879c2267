// The grader's driver for lesson 05 (the exercise executable's main.swift): runs one check of the learner's code
// and hands the results to the grader. Not part of the exercise; do not edit.
import ExerciseSupport
import Tensors
import Training

/// The exercise's hand-made pair (LESSONS.md, `05-evaluate/exercise`; the grader checks it against the stored
/// one): 3 classes, class 2 never predicted.
let exerciseLabels = [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]
let exercisePredictions = [0, 0, 1, 0, 1, 1, 1, 0, 0, 1, 0, 1]
let reference = ClassificationMetrics(predictions: exercisePredictions, targets: exerciseLabels, classCount: 3)

func write(_ context: ExerciseDriver.Context, _ name: String, _ values: [Double]) {
    context.output.set(name, Tensor(shape: [values.count], values: values.map { Float($0) }))
    context.output.set("labels", integers: exerciseLabels)
    context.output.set("predictions", integers: exercisePredictions)
}

ExerciseDriver.main([
    "precision": { context in
        guard let values = precisionPerClass(reference.confusion) else {
            return context.output.markNotDone("precisionPerClass(_:)")
        }
        write(context, "precision", values)
    },
    "recall": { context in
        guard let values = recallPerClass(reference.confusion) else {
            return context.output.markNotDone("recallPerClass(_:)")
        }
        write(context, "recall", values)
    },
    "f1": { context in
        // The correct precision and recall, so that this check grades F1 alone.
        guard let values = f1PerClass(precision: reference.precision, recall: reference.recall) else {
            return context.output.markNotDone("f1PerClass(precision:recall:)")
        }
        write(context, "f1", values)
    },
])
