import Foundation
import Golden
import NN
import Tensors
import Training
import Vision

extension Lessons {
    /// Lesson 02: freeze every parameter, then replace fc (the post's feature extractor), and what freezing does
    /// not freeze: batch norm's running statistics.
    static let freeze = Lesson(
        number: 2, id: "02-freeze", title: "Freeze the backbone, then replace the head",
        summary: "The post sets requires_grad = False on every parameter and then gives the model a new fc. Here: "
            + "the counts and names PyTorch recorded, why the order matters, and what requires_grad does NOT stop.",
        steps: [
            Step(
                title: "Freeze every parameter, then replace fc",
                pytorch: "for p in model.parameters(): p.requires_grad = False; model.fc = nn.Linear(96, 5)",
                swift: "model.freeze(); model.fc = Linear(inFeatures: model.numFeatures, outFeatures: 5)"
            ) { context in
                let fixtures = try EmbeddedFixtures(root: context.root.path)
                context.state["fixtures"] = fixtures
                let model = try fixtures.pretrainedModel()
                model.freeze()
                model.fc = try context.references.recordedHead(inFeatures: model.numFeatures)
                context.state["model"] = model
                let counts = ParameterCounts(model)
                let keys = model.stateDict().map { "\($0.key)\t\($0.value.shape)" }
                let reference = context.references
                return StepOutcome(
                    lines: [
                        "trainable: \(counts.trainableCount) numbers in \(counts.trainable.count) tensors "
                            + "(\(counts.trainable.joined(separator: ", ")))",
                        "frozen:    \(counts.frozenCount) numbers in \(counts.frozen.count) tensors "
                            + "(\(counts.frozen.first ?? "-") ... \(counts.frozen.last ?? "-"))",
                        "the new fc keeps its place in the state dict: \(keys.count) entries, last "
                            + (keys.last ?? "-").replacingOccurrences(of: "\t", with: " "),
                    ]
                        + [
                            String(
                                format: "new head: fc.weight %@ and fc.bias %@, PyTorch's portable initial values",
                                "\(model.fc.weight.shape)", "\(model.fc.bias?.shape ?? [])")
                        ],
                    comparisons: try counts.comparisons(reference, "02-freeze", names: true) + [
                        sameNames(
                            "state-dict keys and shapes after the replacement", keys,
                            try reference.list("keys", of: "02-freeze"))
                    ])
            },
            Step(
                title: "The wrong order: replace fc, then freeze every parameter",
                pytorch: "model.fc = nn.Linear(96, 5); for p in model.parameters(): p.requires_grad = False",
                swift: "model.fc = Linear(inFeatures: 96, outFeatures: 5); model.freeze()"
            ) { context in
                let fixtures: EmbeddedFixtures = try context.value("fixtures")
                let model = try fixtures.pretrainedModel()
                model.fc = try context.references.recordedHead(inFeatures: model.numFeatures)
                model.freeze()
                let counts = ParameterCounts(model)
                return StepOutcome(
                    lines: [
                        "trainable: \(counts.trainableCount) numbers in \(counts.trainable.count) tensors; "
                            + "frozen: \(counts.frozenCount) in \(counts.frozen.count)",
                        "the loop froze the new head too: an optimizer given "
                            + "[p for p in model.parameters() if p.requires_grad] gets nothing to train",
                    ],
                    comparisons: try counts.comparisons(context.references, "02-freeze/wrong_order", names: false)
                        + [
                            sameNames(
                                "trainable names", counts.trainable,
                                try context.references.list("trainable_names", of: "02-freeze/wrong_order"))
                        ])
            },
            Step(
                title: "requires_grad = False does not stop batch norm: one train-mode forward",
                pytorch: "net = copy.deepcopy(model).train(); net(x)  # no backward, no optimizer step",
                swift: "let net = copy(model).train(); _ = net(x)"
            ) { context in
                let fixtures: EmbeddedFixtures = try context.value("fixtures")
                let model: ResNet = try context.value("model")
                let batch = try freezeLessonBatch(context, fixtures)
                context.state["batch"] = batch
                let net = try deepCopy(model)
                let before = stateSnapshot(net)
                net.train()
                _ = net(batch)
                return try batchNormOutcome(context, net, before: before, stage: "after_train", mode: "train")
            },
            Step(
                title: "What eval mode does instead: the same forward leaves the statistics alone",
                pytorch: "net = copy.deepcopy(model).eval(); net(x)",
                swift: "let net = copy(model).eval(); _ = net(x)"
            ) { context in
                let fixtures: EmbeddedFixtures = try context.value("fixtures")
                let model: ResNet = try context.value("model")
                let batch: Tensor = try context.value("batch")
                let net = try deepCopy(model)
                let before = stateSnapshot(net)
                net.eval()
                _ = net(batch)
                var outcome = try batchNormOutcome(context, net, before: before, stage: "after_eval", mode: "eval")
                outcome.lines.append(
                    "a frozen feature extractor therefore trains with the backbone in eval mode "
                        + "(model.eval(); model.fc.train()): its batch norms keep the pretrained "
                        + "statistics")
                return outcome
            },
        ],
        exercise: freezeExercise)

    /// The recorded batch (`02-freeze/batchnorm` `images`), preprocessed as the model was trained.
    static func freezeLessonBatch(_ context: LessonContext, _ fixtures: EmbeddedFixtures) throws -> Tensor {
        let paths = try context.references.list("images", of: "02-freeze/batchnorm")
        let pipeline = Compose([ToTensor(), Normalize(mean: fixtures.mean, std: fixtures.std)])
        let images = try paths.map {
            try pipeline(try ImageFolder.loadImage(path: context.path("Fixtures/data/" + $0)))
        }
        return Tensor(shape: [images.count] + images[0].shape, values: images.flatMap { $0.toArray() })
    }

    /// Every state-dict entry's values, copied (the tensors themselves change in place).
    static func stateSnapshot(_ model: Module) -> [(String, [Float])] {
        model.stateDict().map { ($0.key, $0.value.toArray()) }
    }

    /// The recorded batch norms' buffers after a forward, and which state-dict entries the forward changed.
    static func batchNormOutcome(
        _ context: LessonContext, _ net: ResNet, before: [(String, [Float])],
        stage: String, mode: String
    ) throws -> StepOutcome {
        let references = context.references
        let group = "02-freeze/batchnorm"
        let after = Dictionary(uniqueKeysWithValues: net.stateDict().map { ($0.key, $0.value.toArray()) })
        let changed = before.filter { after[$0.0] != $0.1 }.map(\.0)
        let modules = Dictionary(uniqueKeysWithValues: net.namedModules())
        var comparisons: [TensorComparison] = []
        var lines: [String] = []
        for name in ["bn1", "layer4.1.bn2"] {
            guard let bn = modules[name] as? BatchNorm2d, let mean = bn.runningMean, let variance = bn.runningVar else {
                throw LessonError.missingState(name)
            }
            let previous = Dictionary(uniqueKeysWithValues: before)
            let moved = zip(mean.toArray(), previous["\(name).running_mean"] ?? []).map { abs($0 - $1) }.max() ?? 0
            lines.append(
                "\(name): num_batches_tracked \(Int(previous["\(name).num_batches_tracked"]?.first ?? 0)) -> "
                    + "\(bn.numBatchesTracked), running_mean moved by up to "
                    + String(format: "%.4f", Double(moved)))
            if stage == "after_train" {
                comparisons += [
                    try references.compare(
                        "\(name).running_mean before",
                        Tensor(
                            shape: mean.shape,
                            values: previous["\(name).running_mean"] ?? []),
                        "\(group)/before/\(name).running_mean"),
                    try references.compare(
                        "\(name).running_var before",
                        Tensor(
                            shape: variance.shape,
                            values: previous["\(name).running_var"] ?? []),
                        "\(group)/before/\(name).running_var"),
                    try references.compare(
                        "\(name).num_batches_tracked before",
                        integers: [Int(previous["\(name).num_batches_tracked"]?.first ?? 0)],
                        "\(group)/before/\(name).num_batches_tracked"),
                ]
            }
            comparisons += [
                try references.compare(
                    "\(name).running_mean \(stage.replacingOccurrences(of: "_", with: " "))",
                    mean, "\(group)/\(stage)/\(name).running_mean"),
                try references.compare(
                    "\(name).running_var \(stage.replacingOccurrences(of: "_", with: " "))",
                    variance, "\(group)/\(stage)/\(name).running_var"),
                try references.compare(
                    "\(name).num_batches_tracked", integers: [Int(bn.numBatchesTracked)],
                    "\(group)/\(stage)/\(name).num_batches_tracked"),
            ]
        }
        let key = stage == "after_train" ? "changed_by_train_forward" : "changed_by_eval_forward"
        let stillTrainable = net.parameterCount(trainableOnly: true)
        lines.insert(
            "one \(mode)-mode forward changed \(changed.count) state-dict entries "
                + (changed.isEmpty ? "(none)" : "(\(changed.first!) ... \(changed.last!); no parameter)")
                + ", with only \(stillTrainable) numbers requiring grad", at: 0)
        comparisons += [
            sameNames("state-dict entries the forward changed", changed, try references.list(key, of: group)),
            exactly("entries changed", changed.count, try references.integer(key + "_count", of: group)),
            exactly(
                "numbers requiring grad", stillTrainable,
                try references.integer("requires_grad_true_count", of: group)),
        ]
        return StepOutcome(lines: lines, comparisons: comparisons)
    }
}

/// The trainable and frozen parameters of a model, as the lessons and checks count them (named_parameters order).
struct ParameterCounts {
    var trainable: [String] = []
    var frozen: [String] = []
    var trainableCount = 0
    var frozenCount = 0

    init(_ model: Module) {
        for (name, parameter) in model.namedParameters() {
            if parameter.requiresGrad {
                trainable.append(name)
                trainableCount += parameter.count
            } else {
                frozen.append(name)
                frozenCount += parameter.count
            }
        }
    }

    /// Counts (and with `names`, both name lists) against the attributes PyTorch recorded on `group`.
    func comparisons(
        _ references: LessonReferences, _ group: String, names: Bool,
        label: String = ""
    ) throws -> [TensorComparison] {
        var result = [
            exactly(
                label + "trainable parameters", trainableCount,
                try references.integer("trainable_count", of: group)),
            exactly(label + "frozen parameters", frozenCount, try references.integer("frozen_count", of: group)),
            exactly(
                label + "trainable tensors", trainable.count,
                try references.integer("trainable_tensors", of: group)),
            exactly(label + "frozen tensors", frozen.count, try references.integer("frozen_tensors", of: group)),
        ]
        if names {
            result += [
                sameNames("trainable names", trainable, try references.list("trainable_names", of: group)),
                sameNames("frozen names", frozen, try references.list("frozen_names", of: group)),
            ]
        }
        return result
    }
}
