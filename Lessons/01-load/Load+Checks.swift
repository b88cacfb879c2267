import ExerciseSupport
import Foundation
import Golden
import Grading
import Tensors

extension Lessons {
    /// Lesson 01's exercise: the preprocessing pipeline, and inference in eval mode without autograd.
    static let loadExercise = ExerciseSpec(
        lesson: 1, id: "01-load", title: "Preprocess as the model was trained; predict in eval mode",
        files: ["Preprocess.swift"],
        checks: [
            ExerciseCheck(id: "preprocess", name: "preprocessing matches torchvision's", points: 5) { output, root in
                try gradePreprocessing(output, try LessonReferences.shared(root: root))
            },
            ExerciseCheck(
                id: "predict", name: "inference matches PyTorch's eval-mode logits", points: 5,
                recognizeCrash: recognizeTrainModeCrash
            ) { output, root in
                try gradePrediction(output, try LessonReferences.shared(root: root))
            },
        ],
        hints: [
            "makePreprocessing: torchvision writes it as Compose([ToTensor(), Normalize(mean, std)]); the Swift "
                + "types have the same names.",
            "Normalize with the statistics the model was trained on (its sidecar JSON), not ImageNet's.",
            "predict: two things happen at inference in the post's PyTorch code - a mode switch on the model, and "
                + "a context that stops autograd from recording (look for `noGrad`).",
        ])

    static func gradePreprocessing(_ output: ExerciseOutput, _ references: LessonReferences) throws -> CheckResult {
        let name = "preprocessing matches torchvision's"
        guard let input = output.tensors["input"] else {
            return .failed(name, maxPoints: 5, "your pipeline returned no tensor", hint: "return the Compose")
        }
        let comparison = try references.compare("input", input, "01-load/input")
        if comparison.passed {
            return .passed(
                name, points: 5,
                "the [3, 32, 32] input equals PyTorch's within "
                    + "\(comparison.tolerance) (max abs error \(comparison.maxAbsoluteError))")
        }
        // Recognise the recorded mistakes from the values themselves.
        let expected = try references.tensor("01-load/input")
        if input.shape == expected.shape {
            let unnormalized = expected.toArray().map { $0 * 0.327 + 0.3057 }
            if maxDifference(input.toArray(), unnormalized) < 1e-5 {
                return CheckResult(
                    name: name, points: 2, maxPoints: 5, status: .partial,
                    diagnosis: "your values are in [0, 1]: ToTensor ran but Normalize did not "
                        + "(PyTorch's logits on such an input are stored as the mistake "
                        + "'unnormalized_logits')",
                    hint: "normalise as the model was pretrained: (x - mean) / std per channel")
            }
            let imageNetMean: [Float] = [0.485, 0.456, 0.406], imageNetStd: [Float] = [0.229, 0.224, 0.225]
            let plane = expected.count / 3
            let imageNet = unnormalized.enumerated().map { index, value in
                (value - imageNetMean[index / plane]) / imageNetStd[index / plane]
            }
            if maxDifference(input.toArray(), imageNet) < 1e-4 {
                return CheckResult(
                    name: name, points: 2, maxPoints: 5, status: .partial,
                    diagnosis: "your input is normalised with ImageNet's mean/std, the post's "
                        + "constants for a model pretrained on ImageNet; this model was pretrained "
                        + "with mean 0.3057, std 0.327",
                    hint: "normalise as THIS model was trained (its sidecar JSON says how)")
            }
        } else {
            return .failed(
                name, maxPoints: 5,
                "your tensor has shape \(Array(input.shape.dropFirst())); PyTorch's "
                    + "is \(Array(expected.shape.dropFirst()))",
                hint: "ToTensor turns the decoded RGB image into [3, H, W]; no resize is needed here")
        }
        return .failed(name, maxPoints: 5, "\(comparison)", hint: "compare your steps with torchvision's, in order")
    }

    static func gradePrediction(_ output: ExerciseOutput, _ references: LessonReferences) throws -> CheckResult {
        let name = "inference matches PyTorch's eval-mode logits"
        guard let logits = output.tensors["logits"] else {
            return .failed(name, maxPoints: 5, "predict returned nothing", hint: "return the model's output")
        }
        let comparison = try references.compare("logits", logits, "01-load/logits", kind: .logits)
        guard comparison.passed else {
            return .failed(
                name, maxPoints: 5, "\(comparison)",
                hint: "run the model itself on the batch, in the mode the post uses for inference")
        }
        if output.integers["requires_grad"] == [1] {
            return CheckResult(
                name: name, points: 3, maxPoints: 5, status: .partial,
                diagnosis: "the logits are PyTorch's, but they require grad: autograd recorded the "
                    + "whole forward pass (PyTorch's inference runs under torch.no_grad())",
                hint: "wrap the forward pass so that no graph is recorded")
        }
        return .passed(
            name, points: 5,
            "logits equal PyTorch's eval-mode logits (max abs error "
                + "\(comparison.maxAbsoluteError)), recorded without autograd")
    }

    /// Batch norm in train mode on one image: PyTorch raises the same error (recorded in lessons.h5).
    static func recognizeTrainModeCrash(_ stderr: String) -> String? {
        guard stderr.contains("more than 1 value per channel when training") else { return nil }
        return "recognised: the model ran in TRAIN mode on one image, where batch norm has one value per channel; "
            + "PyTorch raises the same error (ValueError: Expected more than 1 value per channel when training). "
            + "Did you call eval()?"
    }

    static func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }
}
