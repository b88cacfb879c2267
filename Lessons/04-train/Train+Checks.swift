import ExerciseSupport
import Foundation
import Golden
import Grading
import Tensors

extension Lessons {
    /// Lesson 04's exercise: one training step (zero the gradients, forward, cross-entropy, backward, step).
    static let trainExercise = ExerciseSpec(
        lesson: 4, id: "04-train", title: "One training step, as the post's loop body",
        files: ["TrainStep.swift"],
        checks: [
            ExerciseCheck(id: "step1", name: "step 1: loss and parameters match PyTorch's", points: 5) { output, root in
                try gradeFirstStep(output, try LessonReferences.shared(root: root))
            },
            ExerciseCheck(id: "steps", name: "steps 2 and 3: losses and parameters match PyTorch's", points: 5) {
                output, root in
                try gradeLaterSteps(output, try LessonReferences.shared(root: root))
            },
        ],
        hints: [
            "The post's loop body is five lines, and each has a Swift twin with nearly the same name (the doc "
                + "comment above trainStep lists them); the order is the whole exercise.",
            "nn.CrossEntropyLoss() averages over the batch (reduction 'mean'): so does crossEntropy(_:target:) "
                + "by default.",
            "If the parameters do not move, ask when step() runs relative to backward() and to clearing the "
                + "gradients.",
            "If step 1 is right and step 2 is not, think about what is still in .grad when the next batch's "
                + "backward() runs.",
        ])

    /// The first diverging parameter of step `step` (nil when all match), comparing the learner's tensors with
    /// `group` under LESSONS.md's subset rule.
    static func firstDivergingParameter(
        _ output: ExerciseOutput, step: Int, _ references: LessonReferences,
        group: String
    ) throws -> TensorComparison? {
        for name in try references.list("trainable_names", of: "04-train") {
            guard let tensor = output.tensors["step\(step):\(name)"] else {
                return sameNames("\(name) after step \(step) (not returned)", [name], [])
            }
            for comparison in try TrainLessonKit.compare(
                references, key: "\(group)/\(name)", name: name, tensor,
                kind: .state) where !comparison.passed
            {
                return comparison
            }
        }
        return nil
    }

    /// Whether every trainable parameter after step `step` still equals its value before training.
    static func parametersDidNotMove(_ output: ExerciseOutput, step: Int, _ references: LessonReferences) throws -> Bool
    {
        guard let weight = output.tensors["step\(step):fc.weight"], let bias = output.tensors["step\(step):fc.bias"]
        else { return false }
        let initialWeight = try references.tensor("04-train/initial/fc.weight").toArray()
        let initialBias = try references.tensor("04-train/initial/fc.bias").toArray()
        return weight.toArray() == initialWeight && bias.toArray() == initialBias
    }

    static func gradeFirstStep(_ output: ExerciseOutput, _ references: LessonReferences) throws -> CheckResult {
        let name = "step 1: loss and parameters match PyTorch's"
        guard let losses = output.tensors["losses"], losses.count >= 1 else {
            return .failed(name, maxPoints: 5, "trainStep returned no loss", hint: "return loss.item()")
        }
        let loss = Tensor(shape: [], values: [losses.toArray()[0]])
        let expected = try references.tensor("04-train/steps/1/loss").item()
        let lossComparison = try references.compare("step 1 loss", loss, "04-train/steps/1/loss", kind: .loss)
        guard lossComparison.passed else {
            let size = Float(try references.integer("batch_size", of: "04-train"))
            if abs(loss.item() - size * expected) < 1e-4 * size * expected {
                return CheckResult(
                    name: name, points: 1, maxPoints: 5, status: .partial,
                    diagnosis: "your loss is \(loss.item()), \(Int(size)) times PyTorch's \(expected): "
                        + "the SUM of the batch's cross-entropies; nn.CrossEntropyLoss() takes their "
                        + "mean (and so the gradients, and every step, are \(Int(size))x too large)",
                    hint: "use the criterion's default reduction")
            }
            return .failed(
                name, maxPoints: 5, "\(lossComparison)",
                hint: "the loss is cross-entropy on the model's logits for the batch's labels")
        }
        if try parametersDidNotMove(output, step: 1, references) {
            return CheckResult(
                name: name, points: 2, maxPoints: 5, status: .partial,
                diagnosis: "the loss is PyTorch's (\(loss.item())), but after your step the parameters "
                    + "have not moved (fc.weight is still the initial head): optimizer.step() did not "
                    + "run, or ran while no gradient was there (before backward(), or after the "
                    + "gradients were cleared)",
                hint: "the optimizer can only use a gradient that backward() has just computed")
        }
        if let diverging = try firstDivergingParameter(output, step: 1, references, group: "04-train/steps/1") {
            return CheckResult(
                name: name, points: 2, maxPoints: 5, status: .partial,
                diagnosis: "the loss is PyTorch's (\(loss.item())), but the parameters after step 1 "
                    + "differ; first: \(diverging)",
                hint: "one backward() and one step() per batch, with the gradients of this batch only")
        }
        return .passed(
            name, points: 5,
            "loss \(loss.item()) and all \(try references.list("trainable_names", of: "04-train").count) "
                + "trainable parameters after step 1 equal PyTorch's within tolerance")
    }

    static func gradeLaterSteps(_ output: ExerciseOutput, _ references: LessonReferences) throws -> CheckResult {
        let name = "steps 2 and 3: losses and parameters match PyTorch's"
        guard let losses = output.tensors["losses"]?.toArray(), losses.count == 3 else {
            return .failed(
                name, maxPoints: 5, "trainStep did not return 3 losses for 3 steps",
                hint: "return loss.item() on every call")
        }
        if try parametersDidNotMove(output, step: 3, references) {
            return .failed(
                name, maxPoints: 5,
                "after 3 steps the parameters are still the initial ones: no step "
                    + "ever changed them (losses \(losses))",
                hint: "the optimizer can only use a gradient that backward() has just computed")
        }
        if try firstDivergingParameter(output, step: 1, references, group: "04-train/steps/1") != nil {
            return .failed(
                name, maxPoints: 5, "step 1 already differs from PyTorch's (see the first check)",
                hint: "get step 1 right first")
        }
        guard let second = try firstDivergingParameter(output, step: 2, references, group: "04-train/steps/2") else {
            var failing: [TensorComparison] = []
            for step in 2...3 {
                let comparison = try references.compare(
                    "step \(step) loss", Tensor(shape: [], values: [losses[step - 1]]),
                    "04-train/steps/\(step)/loss", kind: .loss)
                if !comparison.passed { failing.append(comparison) }
            }
            if let third = try firstDivergingParameter(output, step: 3, references, group: "04-train/steps/3") {
                failing.append(third)
            }
            if let first = failing.first {
                return CheckResult(
                    name: name, points: 3, maxPoints: 5, status: .partial,
                    diagnosis: "step 2 matches PyTorch's, but not all of step 3: \(first)",
                    hint: "every call must do the same five things")
            }
            return .passed(
                name, points: 5,
                "losses \(losses) and every trainable parameter after steps 2 and 3 "
                    + "equal PyTorch's within tolerance")
        }
        // Recognise the recorded mistake: no zero_grad, so step 2 used g1 + g2.
        if try firstDivergingParameter(output, step: 2, references, group: "04-train/mistakes/no_zero_grad/steps/2")
            == nil
        {
            return CheckResult(
                name: name, points: 1, maxPoints: 5, status: .partial,
                diagnosis: "step 1 is right, but your parameters after step 2 match PyTorch's run "
                    + "WITHOUT optimizer.zero_grad(): the gradients accumulated, so step 2 used "
                    + "g1 + g2 (first difference from the correct run: \(second.name), "
                    + "\(second.maxAbsoluteError)); did you clear the gradients?",
                hint: "backward() adds into .grad; something must empty it before each new batch")
        }
        return CheckResult(
            name: name, points: 1, maxPoints: 5, status: .partial,
            diagnosis: "step 1 is right, but the parameters after step 2 differ from PyTorch's; "
                + "first: \(second)",
            hint: "every call must do the same five things, in the same order")
    }
}
