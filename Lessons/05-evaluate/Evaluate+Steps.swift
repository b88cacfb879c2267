import Foundation
import Golden
import NN
import Tensors
import Training
import Vision

extension Lessons {
    /// Lesson 05: evaluate lesson 04's model - with and without eval mode - and compute the metrics the post names.
    static let evaluate = Lesson(
        number: 5, id: "05-evaluate", title: "Evaluate: eval mode, accuracy, precision, recall and F1",
        summary: "The post's evaluation loop never calls model.eval(), and it promises precision and recall without "
            + "computing them. Here: lesson 04's model on all of target/val, in eval and in train mode, with the "
            + "metrics scikit-learn computes, all checked against PyTorch and sklearn.",
        steps: [
            Step(
                title: "Start from lesson 04's model after its 15 steps",
                pytorch: "model.load_state_dict(state_after_04)  # the 04-train run, 5 epochs",
                swift: "try model.loadStateDict(stateAfter04, strict: false)"
            ) { context in
                let references = context.references
                let fixtures = try EmbeddedFixtures(root: context.root.path)
                let (model, assigned) = try EvaluateLessonKit.modelAfterTraining(context.root, references)
                context.state["model"] = model
                context.state["fixtures"] = fixtures
                let expected =
                    try references.children(of: "04-train/final").count
                    + (try references.list("in_final_delta", of: "04-train/final")).count
                return StepOutcome(
                    lines: [
                        "the checkpoint, a new 5-class fc, then every 04-train/final entry (\(expected - 5) of them: "
                            + "fc, layer4's batch-norm parameters, all 60 batch-norm buffers) and layer4's 5 large "
                            + "weights as checkpoint + final_delta (LESSONS.md); lesson 04 step 5 shows that our own "
                            + "15 steps reach this state",
                        "start: \(try references.text("start", of: "05-evaluate"))",
                    ],
                    comparisons: [exactly("state-dict entries assigned", assigned, expected)])
            },
            Step(
                title: "Evaluate as it should be: eval mode, no autograd",
                pytorch: "model.eval(); with torch.no_grad(): for inputs, labels in val_loader: "
                    + "preds = model(inputs).argmax(1)",
                swift:
                    "model.eval(); for batch in loader { preds += Trainer.argmaxRows(noGrad { model(batch.images) }) }"
            ) {
                context in
                let references = context.references
                let model: ResNet = try context.value("model")
                let fixtures: EmbeddedFixtures = try context.value("fixtures")
                let (loader, targets) = try EvaluateLessonKit.validation(fixtures, references)
                context.state["loader"] = loader
                context.state["targets"] = targets
                model.eval()
                let logits = try EvaluateLessonKit.logits(model, loader)
                let predicted = Trainer.argmaxRows(logits)
                context.state["predicted_eval"] = predicted
                let prediction = try EvaluateLessonKit.comparePredictions(
                    references, predicted, key: "05-evaluate/predicted_eval",
                    agreeFlag: "predicted_agree_with_float64")
                let correct = zip(predicted, targets).filter { $0 == $1 }.count
                return StepOutcome(
                    lines: [
                        "\(targets.count) images in \(loader.count) batches of "
                            + "\(try references.integer("batch_size", of: "05-evaluate")) (the last "
                            + "\(targets.count - (loader.count - 1) * loader.batchSize)), ImageFolder order",
                        "eval mode: \(correct)/\(targets.count) correct = "
                            + String(format: "%.4f", Double(correct) / Double(targets.count)),
                        prediction.line,
                    ],
                    comparisons: [
                        try references.compare("labels", integers: targets, "05-evaluate/targets"),
                        try references.compare("eval-mode logits", logits, "05-evaluate/logits_eval", kind: .logits),
                        exactly(
                            "correct (eval mode)", correct, try references.integer("correct_eval", of: "05-evaluate")),
                    ] + prediction.comparisons)
            },
            Step(
                title: "The post's loop: no model.eval() - batch norm uses each batch's statistics",
                pytorch: "with torch.no_grad(): for inputs, labels in val_loader: preds = model(inputs).argmax(1)  "
                    + "# still in train mode",
                swift: "copy.train(); noGrad { copy(batch.images) }  // a copy: train mode moves the running statistics"
            ) {
                context in
                let references = context.references
                let model: ResNet = try context.value("model")
                let loader: DataLoader = try context.value("loader")
                let targets: [Int] = try context.value("targets")
                let copy = try deepCopy(model)
                copy.train()
                let logits = try EvaluateLessonKit.logits(copy, loader)
                let predicted = Trainer.argmaxRows(logits)
                context.state["predicted_train"] = predicted
                let prediction = try EvaluateLessonKit.comparePredictions(
                    references, predicted, key: "05-evaluate/predicted_train",
                    agreeFlag: "predicted_train_agree_with_float64")
                let correct = zip(predicted, targets).filter { $0 == $1 }.count
                let evalCorrect = try references.integer("correct_eval", of: "05-evaluate")
                return StepOutcome(
                    lines: [
                        "train mode: \(correct)/\(targets.count) correct = "
                            + String(format: "%.4f", Double(correct) / Double(targets.count))
                            + " - the batches are mostly of one class, and batch norm normalises each with its own "
                            + "mean and variance, erasing what tells the classes apart",
                        "eval mode got \(evalCorrect): forgetting model.eval() costs \(evalCorrect - correct) images",
                        prediction.line,
                    ],
                    comparisons: [
                        try references.compare("train-mode logits", logits, "05-evaluate/logits_train", kind: .logits),
                        exactly(
                            "correct (train mode)", correct,
                            try references.integer("correct_train", of: "05-evaluate")),
                    ] + prediction.comparisons)
            },
            Step(
                title: "The metrics the post promises: precision, recall, F1, their averages, the confusion matrix",
                pytorch: "precision_recall_fscore_support(y, p, labels=range(5), zero_division=0); "
                    + "confusion_matrix(y, p)",
                swift: "let m = ClassificationMetrics(predictions: p, targets: y, classCount: 5); m.precision, "
                    + "m.recall, m.f1, m.macroF1, m.weightedF1, m.confusion"
            ) { context in
                let references = context.references
                let targets: [Int] = try context.value("targets")
                var lines: [String] = []
                var comparisons: [TensorComparison] = []
                for (label, mode, group) in [
                    ("eval mode", "predicted_eval", "05-evaluate/metrics"),
                    ("train mode", "predicted_train", "05-evaluate/metrics_train"),
                ] {
                    let ours: [Int] = try context.value(mode)
                    let stored = try references.integers("05-evaluate/\(mode)")
                    // sklearn scored PyTorch's predictions: score ours when they are the same, else PyTorch's
                    // (so the comparison checks the metrics, not a rounding-level tie).
                    let predictions = ours == stored ? ours : stored
                    let metrics = ClassificationMetrics(predictions: predictions, targets: targets, classCount: 5)
                    if label == "eval mode" {
                        lines += EvaluateLessonKit.table(metrics, classes: try references.list("classes", of: "."))
                    }
                    lines.append(
                        "\(label): accuracy " + String(format: "%.4f", metrics.accuracy) + ", macro P/R/F1 "
                            + [metrics.macroPrecision, metrics.macroRecall, metrics.macroF1]
                            .map { String(format: "%.4f", $0) }.joined(separator: "/") + ", weighted P/R/F1 "
                            + [metrics.weightedPrecision, metrics.weightedRecall, metrics.weightedF1]
                            .map { String(format: "%.4f", $0) }.joined(separator: "/")
                            + (ours == stored ? "" : " (on PyTorch's predictions)"))
                    comparisons += try EvaluateLessonKit.compareMetrics(references, metrics, group: group, label: label)
                }
                lines.append(
                    "macro F1 is the mean of the per-class F1 values, not the F1 of macro precision and recall")
                return StepOutcome(lines: lines, comparisons: comparisons)
            },
        ],
        exercise: evaluateExercise)
}

/// What lesson 05's steps share: the model after 04, the validation loader, and the metric comparisons.
enum EvaluateLessonKit {
    /// The model after lesson 04 as LESSONS.md rebuilds it: the checkpoint, a new fc, every `04-train/final` entry,
    /// and for `in_final_delta` keys `float32(checkpoint + final_delta)`. Returns it and how many entries were set.
    static func modelAfterTraining(_ root: URL, _ references: LessonReferences) throws -> (ResNet, Int) {
        let fixtures = try EmbeddedFixtures(root: root.path)
        let model = try fixtures.pretrainedModel()
        model.fc = Linear(inFeatures: model.numFeatures, outFeatures: 5)
        let state = Dictionary(model.stateDict().map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        var entries: [(key: String, value: Tensor)] = []
        for key in try references.children(of: "04-train/final") {
            guard let target = state[key] else { continue }
            if key.hasSuffix("num_batches_tracked") {
                let count = try references.integers("04-train/final/\(key)")
                entries.append((key, Tensor(shape: target.shape, values: count.map(Float.init))))
            } else {
                entries.append((key, try references.tensor("04-train/final/\(key)")))
            }
        }
        for key in try references.list("in_final_delta", of: "04-train/final") {
            guard let target = state[key] else { continue }
            let delta = try references.tensor("04-train/final_delta/\(key)").toArray()
            entries.append((key, Tensor(shape: target.shape, values: zip(target.toArray(), delta).map { $0 + $1 })))
        }
        let result = try model.loadStateDict(entries, strict: false)
        return (model, entries.count - result.unexpectedKeys.count - result.sizeMismatches.count)
    }

    /// target/val in ImageFolder order in batches of the recorded size, and its labels.
    static func validation(_ fixtures: EmbeddedFixtures, _ references: LessonReferences) throws -> (DataLoader, [Int]) {
        let folder = try ImageFolder(root: fixtures.targetValidation)
        let loader = DataLoader(
            folder, batchSize: try references.integer("batch_size", of: "05-evaluate"),
            shuffle: false,
            transform: Compose([ToTensor(), Normalize(mean: fixtures.mean, std: fixtures.std)]))
        return (loader, folder.targets)
    }

    /// The model's logits `[N, 5]` over the loader, without autograd, in the model's current mode.
    static func logits(_ model: Module, _ loader: DataLoader) throws -> Tensor {
        var values: [Float] = []
        var rows = 0
        for result in loader {
            let batch = try result.get()
            let logits = noGrad { model(batch.images) }
            values += logits.toArray()
            rows += logits.shape[0]
        }
        return Tensor(shape: [rows, values.count / max(rows, 1)], values: values)
    }

    /// Predictions compared exactly when LESSONS.md says no stored prediction sits on a rounding-level tie
    /// (`agreeFlag` = 1); otherwise the number of disagreements is reported, not failed.
    static func comparePredictions(
        _ references: LessonReferences, _ predicted: [Int], key: String,
        agreeFlag: String
    ) throws -> TrainLessonKit.Summary {
        let stored = try references.integers(key)
        let disagreements = zip(predicted, stored).filter { $0 != $1 }.count
        if try references.integer(agreeFlag, of: "05-evaluate") == 1 {
            return TrainLessonKit.Summary(
                line: "predictions: \(disagreements) of \(stored.count) differ from PyTorch's (no stored prediction "
                    + "is near a tie, so they are compared exactly)",
                comparisons: [try references.compare("predictions", integers: predicted, key)])
        }
        return TrainLessonKit.Summary(
            line: "predictions: \(disagreements) of \(stored.count) differ from PyTorch's (some sit on a "
                + "rounding-level tie, so they are not compared exactly)",
            comparisons: [exactly("number of predictions", predicted.count, stored.count)])
    }

    /// Every sklearn value of `group` against ours.
    static func compareMetrics(
        _ references: LessonReferences, _ metrics: ClassificationMetrics, group: String,
        label: String
    ) throws -> [TensorComparison] {
        func vector(_ values: [Double]) -> Tensor { Tensor(shape: [values.count], values: values.map { Float($0) }) }
        func scalar(_ value: Double) -> Tensor { Tensor(shape: [], values: [Float(value)]) }
        let floats: [(String, Tensor)] = [
            ("precision", vector(metrics.precision)), ("recall", vector(metrics.recall)), ("f1", vector(metrics.f1)),
            ("macro_precision", scalar(metrics.macroPrecision)), ("macro_recall", scalar(metrics.macroRecall)),
            ("macro_f1", scalar(metrics.macroF1)), ("weighted_precision", scalar(metrics.weightedPrecision)),
            ("weighted_recall", scalar(metrics.weightedRecall)), ("weighted_f1", scalar(metrics.weightedF1)),
            ("accuracy", scalar(metrics.accuracy)),
        ]
        var comparisons = try floats.map { name, tensor in
            try references.compare("\(label) \(name)", tensor, "\(group)/\(name)", kind: .loss)
        }
        comparisons.append(try references.compare("\(label) support", integers: metrics.support, "\(group)/support"))
        comparisons.append(
            try references.compare(
                "\(label) confusion matrix", integers: Array(metrics.confusion.joined()),
                "\(group)/confusion_matrix"))
        return comparisons
    }

    /// The per-class table and the confusion matrix, as lines.
    static func table(_ metrics: ClassificationMetrics, classes: [String]) -> [String] {
        var lines = ["class     precision recall  f1      support | confusion (row: true, column: predicted)"]
        for c in 0..<metrics.classCount {
            lines.append(
                classes[c].padding(toLength: 10, withPad: " ", startingAt: 0)
                    + [metrics.precision[c], metrics.recall[c], metrics.f1[c]]
                    .map { String(format: "%-8.4f", $0) }.joined(separator: "")
                    + String(format: "%-7d", metrics.support[c]) + " | "
                    + metrics.confusion[c].map { String(format: "%4d", $0) }.joined())
        }
        return lines
    }
}
