import ExerciseSupport
import Foundation
import Golden
import Grading
import Tensors

extension Lessons {
    /// Lesson 02's exercise: freeze then replace the head; keep the frozen backbone's batch norms still.
    static let freezeExercise = ExerciseSpec(
        lesson: 2, id: "02-freeze", title: "Freeze the backbone, then replace the head; train it in the right mode",
        files: ["Freeze.swift"],
        checks: [
            ExerciseCheck(id: "freeze", name: "trainable and frozen parameters match PyTorch's", points: 6) {
                output, root in
                try gradeFreeze(output, try LessonReferences.shared(root: root))
            },
            ExerciseCheck(
                id: "batchnorm", name: "a training forward leaves the frozen batch norms unchanged",
                points: 4
            ) { output, root in
                try gradeFrozenBatchNorm(output, try LessonReferences.shared(root: root))
            },
        ],
        hints: [
            "freezeAndReplaceHead: the Swift names are PyTorch's - freeze() is requires_grad_(False) on every "
                + "parameter below a module, and a ResNet's head is the property fc.",
            "A parameter created AFTER the freezing loop requires grad; one created before it is frozen with "
                + "the rest.",
            "prepareForTraining: requires_grad = False stops gradients, not batch norm's running statistics. "
                + "Which mode makes batch norm use (and keep) its stored statistics?",
        ])

    static func gradeFreeze(_ output: ExerciseOutput, _ references: LessonReferences) throws -> CheckResult {
        let name = "trainable and frozen parameters match PyTorch's"
        guard let names = output.texts["trainable_names"], let counts = output.integers["counts"], counts.count == 2,
            let keys = output.texts["keys"]
        else {
            return .failed(name, maxPoints: 6, "freezeAndReplaceHead returned no model", hint: "return the model")
        }
        let trainable = names.isEmpty ? [] : names.split(separator: "\n").map(String.init)
        let expectedNames = try references.list("trainable_names", of: "02-freeze")
        let expectedTrainable = try references.integer("trainable_count", of: "02-freeze")
        let expectedFrozen = try references.integer("frozen_count", of: "02-freeze")
        let keyComparison = sameNames(
            "state-dict keys and shapes", keys.split(separator: "\n").map(String.init),
            try references.list("keys", of: "02-freeze"))
        let replaced = output.integers["head_replaced"] == [1]
        let summary =
            "\(counts[0]) trainable / \(counts[1]) frozen numbers (PyTorch's: \(expectedTrainable) / "
            + "\(expectedFrozen))"
        guard keyComparison.passed else {
            return .failed(
                name, maxPoints: 6,
                "the model's state dict differs from PyTorch's after the replacement: "
                    + keyComparison.name,
                hint: "the new head takes the backbone's model.numFeatures features to numClasses outputs")
        }
        if trainable == expectedNames && counts == [expectedTrainable, expectedFrozen] {
            guard replaced else {
                let classes = try references.list("model_classes", of: "01-load").joined(separator: ", ")
                return CheckResult(
                    name: name, points: 2, maxPoints: 6, status: .partial,
                    diagnosis: "the trainable set is PyTorch's, but fc is still the PRETRAINED head "
                        + "(the source task's classes: \(classes)) made trainable again, not a new "
                        + "layer", hint: "the post gives the model a new head for the new classes")
            }
            if let shape = output.integers["head_shape_3_classes"], shape != [3, 96] {
                return CheckResult(
                    name: name, points: 4, maxPoints: 6, status: .partial,
                    diagnosis: "right for 5 classes, but with numClasses = 3 the head's weight has "
                        + "shape \(shape), expected [3, 96]",
                    hint: "use the numClasses argument for the head's outputs")
            }
            return .passed(
                name, points: 6,
                "\(summary); trainable \(trainable.joined(separator: ", ")); state-dict "
                    + "keys and shapes equal PyTorch's")
        }
        let wrongOrder = "02-freeze/wrong_order"
        let wrongNames = try references.list("trainable_names", of: wrongOrder)
        let wrongCounts = [
            try references.integer("trainable_count", of: wrongOrder),
            try references.integer("frozen_count", of: wrongOrder),
        ]
        if trainable == wrongNames && counts == wrongCounts {
            if replaced {
                return CheckResult(
                    name: name, points: 2, maxPoints: 6, status: .partial,
                    diagnosis: "\(summary): nothing is trainable. This is PyTorch's recorded "
                        + "'wrong_order' result: the head was replaced BEFORE the freezing loop, "
                        + "so the loop froze the new head too",
                    hint: "think about which parameters exist when the freezing runs")
            }
            return .failed(
                name, maxPoints: 6, "\(summary): everything is frozen and fc is the pretrained head",
                hint: "the post gives the model a new head after freezing")
        }
        if counts[1] == 0 && counts[0] == expectedTrainable + expectedFrozen {
            return CheckResult(
                name: name, points: replaced ? 2 : 0, maxPoints: 6, status: replaced ? .partial : .failed,
                diagnosis: "\(summary): every parameter is trainable - the backbone was not frozen"
                    + (replaced ? " (the new head is right)" : " and fc was not replaced"),
                hint: "set requires_grad = False on the pretrained parameters")
        }
        let extra = trainable.filter { !expectedNames.contains($0) },
            missing = expectedNames.filter { !trainable.contains($0) }
        return .failed(
            name, maxPoints: 6,
            "\(summary); trainable but should be frozen: "
                + (extra.isEmpty ? "none" : extra.prefix(5).joined(separator: ", ") + (extra.count > 5 ? ", ..." : ""))
                + "; frozen but should be trainable: " + (missing.isEmpty ? "none" : missing.joined(separator: ", ")),
            hint: "only the new head should require grad")
    }

    static func gradeFrozenBatchNorm(_ output: ExerciseOutput, _ references: LessonReferences) throws -> CheckResult {
        let name = "a training forward leaves the frozen batch norms unchanged"
        let group = "02-freeze/batchnorm"
        var matchesEval = true, matchesTrain = true
        var worst: TensorComparison?
        for bn in ["bn1", "layer4.1.bn2"] {
            for buffer in ["running_mean", "running_var"] {
                guard let actual = output.tensors["\(bn).\(buffer)"] else {
                    return .failed(
                        name, maxPoints: 4, "prepareForTraining returned a model without \(bn)",
                        hint: "return the model you were given")
                }
                let eval = try references.compare("\(bn).\(buffer)", actual, "\(group)/after_eval/\(bn).\(buffer)")
                let train = try references.compare("\(bn).\(buffer)", actual, "\(group)/after_train/\(bn).\(buffer)")
                matchesEval = matchesEval && eval.passed
                matchesTrain = matchesTrain && train.passed
                if !eval.passed && (worst == nil || eval.maxAbsoluteError > worst!.maxAbsoluteError) { worst = eval }
            }
            let count = output.integers["\(bn).num_batches_tracked"] ?? []
            let evalCount = try references.integers("\(group)/after_eval/\(bn).num_batches_tracked")
            let trainCount = try references.integers("\(group)/after_train/\(bn).num_batches_tracked")
            matchesEval = matchesEval && count == evalCount
            matchesTrain = matchesTrain && count == trainCount
        }
        let trainable = output.integers["trainable_count"]?.first ?? -1
        let expectedTrainable = try references.integer("requires_grad_true_count", of: group)
        let before = try references.integers("\(group)/before/bn1.num_batches_tracked").first ?? 0
        let afterTrain = try references.integers("\(group)/after_train/bn1.num_batches_tracked").first ?? 0
        if matchesTrain {
            return .failed(
                name, maxPoints: 4,
                "your batch norms' running statistics moved exactly as PyTorch's did "
                    + "after a TRAIN-mode forward (num_batches_tracked \(before) -> \(afterTrain)): "
                    + "requires_grad = False "
                    + "does not stop them (pytorch/pytorch#86590)",
                hint: "one of the two modes makes batch norm use its stored statistics and leave them alone")
        }
        guard matchesEval else {
            return .failed(
                name, maxPoints: 4,
                "the running statistics are neither PyTorch's after an eval-mode "
                    + "forward nor after a train-mode one: \(worst.map { "\($0)" } ?? "num_batches_tracked differs")",
                hint: "change only the modes; leave the weights and buffers as they are")
        }
        if trainable != expectedTrainable {
            return CheckResult(
                name: name, points: 2, maxPoints: 4, status: .partial,
                diagnosis: "the batch norms kept PyTorch's statistics, but \(trainable) numbers require "
                    + "grad afterwards instead of \(expectedTrainable): the function changed which "
                    + "parameters train", hint: "set the modes only; freezing was done before")
        }
        let modes = output.integers["modes"] ?? []
        let note =
            modes.last == 1
            ? "; the head is in train mode"
            : "; the head is in eval mode too (it has no "
                + "batch norm or dropout, so that changes nothing here)"
        return .passed(
            name, points: 4,
            "after a training forward, bn1 and layer4.1.bn2 hold PyTorch's unchanged "
                + "statistics (num_batches_tracked still \(before))\(note)")
    }
}
