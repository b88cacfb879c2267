import ExerciseSupport
import Foundation
import Golden
import Grading
import NN
import Training

extension Lessons {
    /// Lesson 06's exercise: the freezing and mode rules of feature extraction in eval mode and of layer4 + fc.
    static let whyTransferExercise = ExerciseSpec(
        lesson: 6, id: "06-why-transfer", title: "The settings' rules: what trains, and which modules are in eval mode",
        files: ["Settings.swift"],
        checks: [
            ExerciseCheck(id: "frozen-eval-trainable", name: "frozen_eval trains PyTorch's parameters", points: 3) {
                output, root in
                try gradeTrainable(output, try LessonReferences.shared(root: root), .featureExtractionEval)
            },
            ExerciseCheck(
                id: "frozen-eval-modes", name: "frozen_eval keeps the backbone's batch norms in eval mode",
                points: 3
            ) { output, root in
                try gradeModes(output, root, .featureExtractionEval)
            },
            ExerciseCheck(id: "layer4-fc-trainable", name: "layer4_fc trains PyTorch's parameters", points: 3) {
                output, root in
                try gradeTrainable(output, try LessonReferences.shared(root: root), .layer4)
            },
            ExerciseCheck(
                id: "layer4-fc-modes", name: "layer4_fc trains in train mode, as the premise table did",
                points: 3
            ) { output, root in
                try gradeModes(output, root, .layer4)
            },
        ],
        hints: [
            "Order matters: freezing the whole model after making something trainable undoes it (lesson 02's "
                + "wrong order).",
            "requires_grad and train/eval are two separate switches: one decides what the optimizer changes, the "
                + "other what batch norm does with each batch. Each setting sets both.",
            "In frozen_eval nothing of the backbone learns, so nothing of it should adapt either - not even its "
                + "batch-norm statistics.",
            "In layer4_fc the weights of layer4 change: its batch norms should see the new task's batches, as the "
                + "premise table's runs did.",
        ])

    /// A fresh 5-class model as the driver builds it (names and modes only: no weights needed).
    static func freshSettingsModel() -> ResNet {
        let model = resnet18(numClasses: 5, baseChannels: 12)
        model.fc = Linear(inFeatures: model.numFeatures, outFeatures: 5)
        return model
    }

    static func lines(_ text: String?) -> [String]? {
        guard let text else { return nil }
        return text.isEmpty ? [] : text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    static func gradeTrainable(
        _ output: ExerciseOutput, _ references: LessonReferences,
        _ setting: TransferSetting
    ) throws -> CheckResult {
        let name =
            setting == .layer4 ? "layer4_fc trains PyTorch's parameters" : "frozen_eval trains PyTorch's parameters"
        let points = 3.0
        guard let actual = lines(output.texts["trainable"]) else {
            return .failed(name, maxPoints: points, "configure returned no model", hint: "return the model")
        }
        let expected =
            setting == .layer4
            ? try references.list("trainable_names", of: "03-customize/layer4_fc")
            : try references.list("trainable_names", of: "02-freeze")
        let model = freshSettingsModel()
        let all = model.namedParameters().map(\.0)
        let sizes = Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($0.0, $0.1.count) })
        func count(_ names: [String]) -> Int { names.reduce(0) { $0 + (sizes[$1] ?? 0) } }
        let head = ["fc.weight", "fc.bias"]
        let what = "\(expected.count) tensors, \(count(expected)) parameters"
        if actual == expected {
            return .passed(
                name, points: points,
                "the trainable parameters are PyTorch's (\(what)): "
                    + (expected.count <= 4 ? expected.joined(separator: ", ") : "layer4.* and fc.*"))
        }
        if actual.isEmpty {
            let wrongOrder = try references.integer("trainable_count", of: "02-freeze/wrong_order")
            return .failed(
                name, maxPoints: points,
                "nothing is trainable (PyTorch's \(what)): the new fc was frozen too - the wrong order "
                    + "PyTorch recorded in 02-freeze/wrong_order (trainable_count \(wrongOrder)); SGD "
                    + "would have nothing to train",
                hint: "look at the order of your freeze and unfreeze calls")
        }
        if actual == all {
            return .failed(
                name, maxPoints: points,
                "every parameter is trainable (\(all.count) tensors, \(count(all)) parameters): that is "
                    + "full fine-tuning ('full' in the premise table), not \(setting.generatorName) "
                    + "(\(what))",
                hint: "freeze the pretrained parameters first")
        }
        if !actual.contains(where: head.contains) && actual == expected.filter({ !head.contains($0) }) {
            return CheckResult(
                name: name, points: 1, maxPoints: points, status: .partial,
                diagnosis: "fc left frozen: layer4 trains but the new head does not (\(actual.count) "
                    + "tensors instead of \(what)); the random head would stay random",
                hint: "the new head must always train")
        }
        if setting == .layer4 && actual == head {
            return CheckResult(
                name: name, points: 1, maxPoints: points, status: .partial,
                diagnosis: "only fc trains (the 2 tensors of feature extraction): layer4 is still "
                    + "frozen (PyTorch's layer4_fc: \(what))",
                hint: "which stage does this setting fine-tune besides the head?")
        }
        let missing = expected.filter { !actual.contains($0) }, extra = actual.filter { !expected.contains($0) }
        return .failed(
            name, maxPoints: points,
            "your \(actual.count) trainable tensors (\(count(actual)) parameters) are not PyTorch's "
                + "\(what): \(missing.count) missing" + (missing.first.map { " (first: \($0))" } ?? "")
                + ", \(extra.count) extra" + (extra.first.map { " (first: \($0))" } ?? ""),
            hint: "list model.namedParameters() with requiresGrad and compare with the setting's rule")
    }

    static func gradeModes(_ output: ExerciseOutput, _ root: URL, _ setting: TransferSetting) throws -> CheckResult {
        let name =
            setting == .layer4
            ? "layer4_fc trains in train mode, as the premise table did"
            : "frozen_eval keeps the backbone's batch norms in eval mode"
        let points = 3.0
        guard let text = lines(output.texts["modes"]) else {
            return .failed(name, maxPoints: points, "configure returned no model", hint: "return the model")
        }
        var modes: [String: Bool] = [:]
        for line in text {
            let parts = line.split(separator: "\t", omittingEmptySubsequences: false)
            if parts.count == 2 { modes[String(parts[0])] = parts[1] == "1" }
        }
        // The engine's one definition, on a fresh model. Only batch norms behave differently in the two modes (a
        // ResNet has no dropout), so only their modes are graded.
        let model = freshSettingsModel()
        setting.apply(to: model)
        let norms = model.namedModules().filter { $0.1 is BatchNorm2d }
        let expected = Dictionary(uniqueKeysWithValues: norms.map { ($0.0, $0.1.training) })
        guard norms.allSatisfy({ modes[$0.0] != nil }) else {
            return .failed(
                name, maxPoints: points, "your model does not have resnet18's \(norms.count) batch norms",
                hint: "configure the model you are given and return it")
        }
        let wrong = norms.map(\.0).filter { modes[$0] != expected[$0] }
        if wrong.isEmpty {
            return .passed(
                name, points: points,
                "all \(norms.count) batch norms are in "
                    + (setting == .layer4 ? "train" : "eval") + " mode, as the engine's TransferSetting."
                    + "\(setting == .layer4 ? "layer4" : "featureExtractionEval") and PyTorch's table have them")
        }
        let premise = try PremiseTable(path: try EmbeddedFixtures(root: root.path).premisePath, budget: "small")
        if setting == .featureExtractionEval {
            let gap = premise.row(.featureExtractionEval).mean - premise.row(.featureExtraction).mean
            if wrong.count == norms.count {
                return .failed(
                    name, maxPoints: points,
                    "all \(norms.count) batch norms are in train mode: that is frozen_train, the post's "
                        + "code - requires_grad = False does not stop batch norm from moving its running "
                        + "statistics to the target batches (pytorch/pytorch#86590); in PyTorch's table "
                        + "it costs \(f3(gap)) of mean accuracy "
                        + "(frozen_train \(f3(premise.row(.featureExtraction).mean)) "
                        + "vs frozen_eval \(f3(premise.row(.featureExtractionEval).mean)))",
                    hint: "freezing parameters and switching modes are two different calls")
            }
            return CheckResult(
                name: name, points: 1, maxPoints: points, status: .partial,
                diagnosis: "\(wrong.count) of \(norms.count) batch norms of the frozen backbone are "
                    + "still in train mode (first: \(wrong[0])): they drift to the target batches",
                hint: "one call switches a module and everything below it")
        }
        let layer4Norms = norms.map(\.0).filter { $0.hasPrefix("layer4.") }
        if wrong.count == norms.count {
            return .failed(
                name, maxPoints: points,
                "the whole model is in eval mode, layer4 included: its weights change while its batch "
                    + "norms keep normalising with the source statistics; PyTorch's layer4_fc row was "
                    + "trained with model.train()",
                hint: "which modules' weights change in this setting, and what should their batch norms see?")
        }
        if Set(wrong) == Set(layer4Norms) || layer4Norms.allSatisfy(wrong.contains) {
            return CheckResult(
                name: name, points: 1, maxPoints: points, status: .partial,
                diagnosis: "layer4 is in eval mode (\(layer4Norms.count) batch norms, first: "
                    + "\(layer4Norms[0])): its weights are fine-tuned but its batch norms still "
                    + "normalise with the source statistics",
                hint: "the stage you fine-tune should see the new task's batch statistics")
        }
        return CheckResult(
            name: name, points: 2, maxPoints: points, status: .partial,
            diagnosis: "\(wrong.count) batch norms of the frozen stages are in eval mode (first: "
                + "\(wrong[0])): a defensible variant, but not the layer4_fc PyTorch measured, which "
                + "trained the whole model with model.train()",
            hint: "match the premise table's recipe: one call for the whole model")
    }
}
