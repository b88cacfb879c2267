import Foundation
import Golden
import NN
import Tensors
import Training

extension Lessons {
    /// Lesson 03: "unfreeze the last few layers" - the post's line fails on a ResNet; what a reader may have meant.
    static let customize = Lesson(
        number: 3, id: "03-customize", title: "Unfreeze the last few layers (what the post's line can mean)",
        summary: "The post unfreezes `model.layer[-unfreeze_layers:]`, which a ResNet does not have. Here: PyTorch's "
            + "error, then four meanings a reader may have intended, each with PyTorch's trainable set and ours.",
        steps: [
            Step(
                title: "The post's line raises AttributeError",
                pytorch: "for param in model.layer[-unfreeze_layers:].parameters(): param.requires_grad = True",
                swift: "model.child(\"layer\")  // nil: the stages are layer1 ... layer4"
            ) { context in
                let references = context.references
                let fixtures = try EmbeddedFixtures(root: context.root.path)
                let pretrained = try fixtures.pretrainedModel()
                context.state["pretrained"] = pretrained
                context.state["fixtures"] = fixtures
                let children = pretrained.namedChildren.map(\.0)
                let recorded = try references.list("children", of: "03-customize")
                return StepOutcome(
                    lines: [
                        "PyTorch (torchvision's resnet18): "
                            + (try references.text("exception_display", of: "03-customize")),
                        "PyTorch (the embedded model): "
                            + (try references.text("exception_type", of: "03-customize")) + ": "
                            + (try references.text("exception_message_embedded_model", of: "03-customize")),
                        "ours: model.child(\"layer\") is \(pretrained.child("layer") == nil ? "nil" : "a module"); "
                            + "the children are " + children.joined(separator: " "),
                    ],
                    comparisons: [
                        sameNames("named_children()", children, recorded),
                        exactly(
                            "children named 'layer'", children.filter { $0 == "layer" }.count,
                            recorded.filter { $0 == "layer" }.count),
                    ])
            },
            Step(
                title: "Meaning 1: the last N children",
                pytorch: "for child in list(model.children())[-n:]: child.requires_grad_(True)",
                swift: "for (_, child) in model.namedChildren.suffix(n) { child.unfreeze() }"
            ) { context in
                try customizeOutcome(context, .children)
            },
            Step(
                title: "Meaning 2: the last N residual blocks",
                pytorch: "blocks = [b for stage in (model.layer1, ..., model.layer4) for b in stage]; "
                    + "for b in blocks[-n:]: b.requires_grad_(True)",
                swift: "for (_, block) in residualBlocks(model).suffix(n) { block.unfreeze() }"
            ) { context in
                try customizeOutcome(context, .blocks)
            },
            Step(
                title: "Meaning 3: the last N parameter tensors",
                pytorch: "for _, p in list(model.named_parameters())[-n:]: p.requires_grad = True",
                swift: "for (_, p) in model.namedParameters().suffix(n) { p.requiresGrad = true }"
            ) { context in
                try customizeOutcome(context, .tensors)
            },
            Step(
                title: "Meaning 4: layer4 and fc (the usual choice)",
                pytorch: "model.layer4.requires_grad_(True); model.fc.requires_grad_(True)",
                swift: "model.layer4.unfreeze(); model.fc.unfreeze()"
            ) { context in
                var outcome = try customizeOutcome(context, .layer4AndFC)
                // Which other readings give this very set (in our engine), for N = 1, 2, 3.
                let reference = try frozenWithNewHead(context)
                _ = UnfreezeMeaning.layer4AndFC.apply(to: reference, nil)
                let target = ParameterCounts(reference).trainable
                var same: [String] = []
                for meaning in [UnfreezeMeaning.children, .blocks, .tensors] {
                    for n in [1, 2, 3] {
                        let model = try frozenWithNewHead(context)
                        _ = meaning.apply(to: model, n)
                        if ParameterCounts(model).trainable == target {
                            same.append("the last \(n) \(meaning.rawValue)")
                        }
                    }
                }
                outcome.lines.append(
                    "the same set as " + (same.isEmpty ? "no other reading" : same.joined(separator: " and "))
                        + ": N means something different in each reading, so say which unit you unfreeze")
                return outcome
            },
        ],
        exercise: customizeExercise)

    /// The readings of "unfreeze the last N layers" that LESSONS.md `03-customize` records.
    enum UnfreezeMeaning: String, CaseIterable {
        case children, blocks, tensors
        case layer4AndFC = "layer4_fc"

        var counts: [Int?] { self == .layer4AndFC ? [nil] : [1, 2, 3] }

        func group(_ n: Int?) -> String { n.map { "03-customize/\(rawValue)/\($0)" } ?? "03-customize/\(rawValue)" }

        /// Unfreezes the selection for `n` and returns the selected names (children, blocks or tensors).
        func apply(to model: ResNet, _ n: Int?) -> [String] {
            switch self {
            case .children:
                let selected = Array(model.namedChildren.suffix(n ?? 0))
                for (_, child) in selected { child.unfreeze() }
                return selected.map(\.0)
            case .blocks:
                let selected = Array(residualBlocks(model).suffix(n ?? 0))
                for (_, block) in selected { block.unfreeze() }
                return selected.map(\.0)
            case .tensors:
                let selected = Array(model.namedParameters().suffix(n ?? 0))
                for (_, parameter) in selected { parameter.requiresGrad = true }
                return selected.map(\.0)
            case .layer4AndFC:
                model.layer4.unfreeze()
                model.fc.unfreeze()
                return ["layer4", "fc"]
            }
        }
    }

    /// The residual blocks in forward order, named `layer<s>.<i>` as `named_modules()` names them.
    static func residualBlocks(_ model: ResNet) -> [(String, Module)] {
        [("layer1", model.layer1), ("layer2", model.layer2), ("layer3", model.layer3), ("layer4", model.layer4)]
            .flatMap { stage, blocks in blocks.namedChildren.map { ("\(stage).\($0.0)", $0.1) } }
    }

    /// A fresh freeze-then-replace model (lesson 02) from the pretrained one.
    static func frozenWithNewHead(_ context: LessonContext) throws -> ResNet {
        let model = try deepCopy(try context.value("pretrained"))
        model.freeze()
        model.fc = try context.references.recordedHead(inFeatures: model.numFeatures)
        return model
    }

    static func customizeOutcome(_ context: LessonContext, _ meaning: UnfreezeMeaning) throws -> StepOutcome {
        var lines: [String] = [], comparisons: [TensorComparison] = []
        for n in meaning.counts {
            let model = try frozenWithNewHead(context)
            let selected = meaning.apply(to: model, n)
            let counts = ParameterCounts(model)
            let group = meaning.group(n)
            let label = n.map { "N = \($0): " } ?? ""
            let trainable =
                counts.trainable.count > 4
                ? "\(counts.trainable.first!) ... \(counts.trainable.last!)" : counts.trainable.joined(separator: ", ")
            lines.append(
                "\(label)selected \(selected.joined(separator: ", ")) -> \(counts.trainableCount) trainable "
                    + "numbers in \(counts.trainable.count) tensors (\(trainable))")
            comparisons +=
                [
                    sameNames("\(label)selected", selected, try context.references.list("selected", of: group)),
                    sameNames(
                        "\(label)trainable names", counts.trainable,
                        try context.references.list("trainable_names", of: group)),
                ] + (try counts.comparisons(context.references, group, names: false, label: label))
        }
        return StepOutcome(lines: lines, comparisons: comparisons)
    }
}
