import Foundation
import Golden
import NN
import Optim
import Tensors
import Training
import Vision

extension Lessons {
    /// Lesson 04: cross-entropy and SGD(lr 0.001, momentum 0.9) as in the post, on layer4 + the new head.
    static let train = Lesson(
        number: 4, id: "04-train", title: "Train with cross-entropy and SGD, step by step",
        summary: "The post's loop - zero_grad, forward, CrossEntropyLoss, backward, SGD(lr=0.001, momentum=0.9) - on "
            + "layer4 + a new head, from PyTorch's very head: the loss, every gradient, the parameters after each "
            + "step and the loss curve, all checked against PyTorch.",
        steps: [
            Step(
                title: "The setting: freeze, replace fc with PyTorch's new head, unfreeze layer4",
                pytorch: "for p in model.parameters(): p.requires_grad = False; model.fc = nn.Linear(96, 5); "
                    + "for p in model.layer4.parameters(): p.requires_grad = True",
                swift: "model.freeze(); model.fc = Linear(inFeatures: 96, outFeatures: 5); model.layer4.unfreeze()"
            ) {
                context in
                let references = context.references
                let fixtures = try EmbeddedFixtures(root: context.root.path)
                let model = try TrainLessonKit.startingModel(context.root, references)
                context.state["fixtures"] = fixtures
                context.state["model"] = model
                // The initial values of the tensors training changes, to rebuild the final state's differences.
                context.state["checkpoint"] = Dictionary(
                    uniqueKeysWithValues: model.stateDict().map {
                        ($0.key, $0.value.toArray())
                    })
                let trainable = model.namedParameters().filter { $0.1.requiresGrad }.map(\.0)
                let folder = try ImageFolder(root: fixtures.targetTrain)
                let images = folder.samples.map { TrainLessonKit.relativeToData($0.path) }
                // The portable rule reproduces PyTorch's draw bit for bit; the lesson uses the stored values.
                let drawn = TrainLessonKit.portableHead()
                return StepOutcome(
                    lines: [
                        "trainable: \(trainable.count) tensors, \(model.parameterCount(trainableOnly: true)) "
                            + "numbers (layer4's \(trainable.count - 2) + fc's 2); frozen: "
                            + "\(model.parameters().count - trainable.count) tensors",
                        "the new head is PyTorch's: fc.weight \(model.fc.weight.shape) and fc.bias assigned from "
                            + "04-train/initial (the portable streams \"fc.weight\"/\"fc.bias\" draw the same values)",
                        "data: \(images.count) images of target/train in ImageFolder order, batches of "
                            + "\(try references.integer("batch_size", of: "04-train")), no shuffling",
                        "mode: \(try references.text("mode", of: "04-train"))",
                    ],
                    comparisons: [
                        sameNames(
                            "trainable parameters", trainable,
                            try references.list("trainable_names", of: "04-train")),
                        exactly(
                            "trainable count", model.parameterCount(trainableOnly: true),
                            try references.integer("trainable_count", of: "04-train")),
                        sameNames("images in ImageFolder order", images, try references.list("images", of: "04-train")),
                        try references.compare("portable fc.weight draw", drawn.weight, "04-train/initial/fc.weight"),
                        try references.compare("portable fc.bias draw", drawn.bias, "04-train/initial/fc.bias"),
                    ])
            },
            Step(
                title: "The first batch: forward and cross-entropy",
                pytorch: "criterion = nn.CrossEntropyLoss(); loss = criterion(model(inputs), labels)",
                swift: "let loss = crossEntropy(model(batch.images), target: batch.labels)"
            ) { context in
                let references = context.references
                let model: ResNet = try context.value("model")
                let fixtures: EmbeddedFixtures = try context.value("fixtures")
                let batches = try TrainLessonKit.batches(
                    fixtures, batchSize: try references.integer("batch_size", of: "04-train"))
                context.state["batches"] = batches
                let lr = try references.real("lr", of: "04-train"),
                    momentum = try references.real("momentum", of: "04-train")
                let optimizer = SGD(parameters: model.trainableParameters(), lr: lr, momentum: momentum)
                context.state["optimizer"] = optimizer
                optimizer.zeroGrad()
                let logits = model(batches[0].images)
                let loss = crossEntropy(logits, target: batches[0].labels)
                context.state["loss"] = loss
                return StepOutcome(
                    lines: [
                        "batch 1: \(batches[0].images.shape), labels \(batches[0].labels)",
                        "loss = \(loss.item()) (a fresh 5-class head guesses: ln 5 = "
                            + String(format: "%.4f", log(5.0)) + ")",
                    ],
                    comparisons: [
                        try references.compare("input", batches[0].images, "04-train/input"),
                        try references.compare("labels", integers: batches[0].labels, "04-train/target"),
                        try references.compare("logits", logits, "04-train/logits", kind: .logits),
                        try references.compare("loss", loss, "04-train/loss", kind: .loss),
                    ])
            },
            Step(
                title: "Backward: a gradient on every trainable parameter, none on the frozen ones",
                pytorch: "loss.backward()",
                swift: "loss.backward()"
            ) { context in
                let references = context.references
                let model: ResNet = try context.value("model")
                let loss: Tensor = try context.value("loss")
                loss.backward()
                var gradients: [String: Tensor] = [:]
                for (name, parameter) in model.namedParameters() {
                    if let grad = parameter.grad { gradients[name] = grad }
                }
                let withoutGrad = model.namedParameters().filter { $0.1.grad == nil }.map(\.0)
                let summary = try TrainLessonKit.compareTensors(
                    references, group: "04-train/grads", kind: .gradient, label: "gradient"
                ) { gradients[$0] }
                let fcGrad = gradients["fc.weight"]?.toArray() ?? []
                return StepOutcome(
                    lines: [
                        "\(gradients.count) parameters have a gradient; \(withoutGrad.count) frozen ones have "
                            + "none (.grad is nil, as PyTorch's None)",
                        "fc.weight.grad: max |g| = \(fcGrad.map(abs).max() ?? 0)",
                        summary.line,
                    ],
                    comparisons: [
                        sameNames(
                            "parameters without a gradient", withoutGrad,
                            try references.list("params_without_grad", of: "04-train/grads"))
                    ]
                        + summary.comparisons)
            },
            Step(
                title: "Three SGD steps: every changed parameter and buffer after each",
                pytorch: "optimizer.step()  # then, per batch: optimizer.zero_grad(); loss = ...; loss.backward(); "
                    + "optimizer.step()",
                swift: "optimizer.step()  // then: optimizer.zeroGrad(); loss = ...; loss.backward(); optimizer.step()"
            ) {
                context in
                let references = context.references
                let model: ResNet = try context.value("model")
                let optimizer: SGD = try context.value("optimizer")
                let batches: [Batch] = try context.value("batches")
                var loss: Tensor = try context.value("loss")
                var lines: [String] = []
                var comparisons: [TensorComparison] = []
                var losses: [Float] = []
                let recorded = try references.integer("recorded_steps", of: "04-train")
                for step in 1...recorded {
                    if step > 1 {
                        optimizer.zeroGrad()
                        loss = crossEntropy(
                            model(batches[(step - 1) % batches.count].images),
                            target: batches[(step - 1) % batches.count].labels)
                        loss.backward()
                    }
                    optimizer.step()
                    losses.append(loss.item())
                    comparisons.append(
                        try references.compare(
                            "step \(step) loss", loss, "04-train/steps/\(step)/loss",
                            kind: .loss))
                    let summary = try TrainLessonKit.compareState(
                        references, model, group: "04-train/steps/\(step)",
                        label: "after step \(step)",
                        checkpoint: try context.value("checkpoint"))
                    lines.append("step \(step): loss \(loss.item()); " + summary.line)
                    comparisons += summary.comparisons
                }
                context.state["losses"] = losses
                context.state["steps done"] = recorded
                return StepOutcome(lines: lines, comparisons: comparisons)
            },
            Step(
                title: "The loss curve of the first epochs",
                pytorch: "for epoch in range(5): for inputs, labels in loader: ...; "
                    + "running_loss += loss.item() * inputs.size(0)",
                swift: "for epoch in 0..<5 { for batch in batches { ... } }"
            ) { context in
                let references = context.references
                let model: ResNet = try context.value("model")
                let optimizer: SGD = try context.value("optimizer")
                let batches: [Batch] = try context.value("batches")
                var losses: [Float] = try context.value("losses")
                let done: Int = try context.value("steps done")
                let epochs = try references.integer("epochs", of: "04-train")
                for step in (done + 1)...(epochs * batches.count) {
                    let batch = batches[(step - 1) % batches.count]
                    optimizer.zeroGrad()
                    let loss = crossEntropy(model(batch.images), target: batch.labels)
                    loss.backward()
                    optimizer.step()
                    losses.append(loss.item())
                }
                // As the post: running_loss += loss.item() * inputs.size(0), then / len(dataset), in float64.
                let perEpoch = (0..<epochs).map { epoch -> Float in
                    let range = (epoch * batches.count)..<((epoch + 1) * batches.count)
                    let total = range.reduce(0.0) {
                        $0 + Double(losses[$1]) * Double(batches[$1 % batches.count].labels.count)
                    }
                    return Float(total / Double(batches.reduce(0) { $0 + $1.labels.count }))
                }
                let checkpoint: [String: [Float]] = try context.value("checkpoint")
                let final = try TrainLessonKit.compareFinal(references, model, checkpoint: checkpoint)
                return StepOutcome(
                    lines: [
                        "loss per epoch: "
                            + perEpoch.map { String(format: "%.4f", Double($0)) }.joined(separator: ", "),
                        "loss per batch (3 per epoch): "
                            + losses.map { String(format: "%.3f", Double($0)) }
                            .joined(separator: " "),
                        "the third batch (digits 8 and 9) always has the highest loss; lr 0.001 for \(losses.count) "
                            + "steps moves the model little (lesson 05 measures it)",
                        final.line,
                    ],
                    comparisons: [
                        try references.compare(
                            "loss per batch", Tensor(shape: [losses.count], values: losses),
                            "04-train/loss_per_batch", kind: .loss),
                        try references.compare(
                            "loss per epoch", Tensor(shape: [perEpoch.count], values: perEpoch),
                            "04-train/loss_per_epoch", kind: .loss),
                    ] + final.comparisons)
            },
            Step(
                title: "The mistake: no optimizer.zero_grad() - gradients accumulate",
                pytorch: "loss.backward(); optimizer.step()  # without optimizer.zero_grad(): .grad += new gradient",
                swift: "loss.backward(); optimizer.step()  // without optimizer.zeroGrad()"
            ) { context in
                let references = context.references
                let batches: [Batch] = try context.value("batches")
                let model = try TrainLessonKit.startingModel(context.root, references)
                let optimizer = SGD(
                    parameters: model.trainableParameters(),
                    lr: try references.real("lr", of: "04-train"),
                    momentum: try references.real("momentum", of: "04-train"))
                var losses: [Tensor] = []
                for step in 0..<2 {
                    let loss = crossEntropy(model(batches[step].images), target: batches[step].labels)
                    loss.backward()  // no zeroGrad: step 2 uses g1 + g2
                    optimizer.step()
                    losses.append(loss)
                }
                let correct = try references.tensor("04-train/steps/2/fc.weight").toArray()
                let ours = model.fc.weight.toArray()
                let drift = zip(correct, ours).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
                let summary = try TrainLessonKit.compareState(
                    references, model, group: "04-train/mistakes/no_zero_grad/steps/2",
                    label: "after step 2 without zero_grad",
                    checkpoint: try context.value("checkpoint"))
                let third = crossEntropy(model(batches[2].images), target: batches[2].labels)
                return StepOutcome(
                    lines: [
                        "step 2's loss is the same (\(losses[1].item())): it is computed before the update",
                        "but step 2 updates with g1 + g2: fc.weight ends up to \(drift) away from the correct run's",
                        "step 3's loss: \(third.item()) instead of "
                            + "\(try references.tensor("04-train/steps/3/loss").item()) - and it compounds every step",
                        summary.line,
                    ],
                    comparisons: [
                        try references.compare(
                            "step 2 loss", losses[1], "04-train/mistakes/no_zero_grad/steps/2/loss",
                            kind: .loss),
                        try references.compare(
                            "step 3 loss", third, "04-train/mistakes/no_zero_grad/steps/3/loss",
                            kind: .loss),
                    ] + summary.comparisons)
            },
        ],
        exercise: trainExercise)
}

/// What lessons 04's steps and checks share: the starting model, the batches, and comparisons of many stored
/// tensors (with LESSONS.md's subset rule for layer4's large convolution weights).
enum TrainLessonKit {
    /// The pretrained model, frozen, with PyTorch's new head (04-train/initial) and layer4 unfrozen, in train mode.
    static func startingModel(_ root: URL, _ references: LessonReferences) throws -> ResNet {
        let fixtures = try EmbeddedFixtures(root: root.path)
        let model = try fixtures.pretrainedModel()
        model.freeze()
        model.fc = try references.recordedHead(inFeatures: model.numFeatures)
        model.layer4.unfreeze()
        model.train()
        return model
    }

    /// The new head as the portable rule draws it (LESSONS.md "The new head").
    static func portableHead(seed: UInt64 = 0) -> (weight: Tensor, bias: Tensor) {
        let bound = Float(1 / (96.0).squareRoot())
        return (
            Tensor(shape: [5, 96], values: PortableRandom(name: "fc.weight", seed: seed).symmetric(480, bound: bound)),
            Tensor(shape: [5], values: PortableRandom(name: "fc.bias", seed: seed).symmetric(5, bound: bound))
        )
    }

    /// target/train in ImageFolder order, in batches of `batchSize`, preprocessed as the model was trained.
    static func batches(_ fixtures: EmbeddedFixtures, batchSize: Int) throws -> [Batch] {
        let folder = try ImageFolder(root: fixtures.targetTrain)
        let loader = DataLoader(
            folder, batchSize: batchSize, shuffle: false,
            transform: Compose([ToTensor(), Normalize(mean: fixtures.mean, std: fixtures.std)]))
        return try loader.map { try $0.get() }
    }

    static func relativeToData(_ path: String) -> String {
        guard let range = path.range(of: "Fixtures/data/") else { return path }
        return String(path[range.upperBound...])
    }

    struct Summary {
        var line: String
        var comparisons: [TensorComparison]
    }

    /// Compares every dataset of `group` (but `loss`) with `actual(name)`: tensors element-wise, int64 scalars
    /// exactly, subsets (LESSONS.md "Subsets") by their stored rows and the full tensor's L2 norm. Returns one
    /// line (how many, the largest error) and the comparisons: a count, and every failing comparison.
    static func compareTensors(
        _ references: LessonReferences, group: String, kind: TraceTolerances.Kind,
        label: String, _ actual: (String) -> Tensor?
    ) throws -> Summary {
        var failing: [TensorComparison] = []
        var count = 0
        var worst: TensorComparison?
        var closest: TensorComparison?
        let names = try references.children(of: group).filter { $0 != "loss" }
        for name in names {
            let key = "\(group)/\(name)"
            guard let tensor = actual(name) else {
                failing.append(sameNames("\(label) of \(name) (ours: missing)", [name], []))
                continue
            }
            for comparison in try compare(references, key: key, name: name, tensor, kind: kind) {
                count += 1
                if !comparison.passed { failing.append(comparison) }
                if worst == nil || comparison.maxAbsoluteError > worst!.maxAbsoluteError { worst = comparison }
                if closest == nil || comparison.worstViolation > closest!.worstViolation { closest = comparison }
            }
        }
        let line =
            "\(names.count) stored tensors (\(count) comparisons) vs PyTorch's: largest difference "
            + "\(worst.map { "\($0.maxAbsoluteError) (\($0.name))" } ?? "-"), closest to its tolerance "
            + "\(closest.map { String(format: "%.0f%%", Double($0.worstViolation) * 100) + " (\($0.name))" } ?? "-"), "
            + "\(failing.count) outside tolerance"
        return Summary(
            line: line,
            comparisons: [exactly("\(label): tensors within tolerance", count - failing.count, count)]
                + failing)
    }

    /// One stored tensor: element-wise, or for a subset its first rows and its full L2 norm.
    static func compare(
        _ references: LessonReferences, key: String, name: String, _ tensor: Tensor,
        kind: TraceTolerances.Kind
    ) throws -> [TensorComparison] {
        if name.hasSuffix("num_batches_tracked") {
            return [try references.compare(name, integers: [Int(tensor.toArray()[0])], key)]
        }
        let attributes = try references.attributes(of: key)
        guard case .int64(let rows)? = attributes["stored_rows"] else {
            return [try references.compare(name, tensor, key, kind: kind)]
        }
        let values = tensor.toArray()
        let rowSize = tensor.count / tensor.shape[0]
        let head = Tensor(
            shape: [Int(rows)] + Array(tensor.shape.dropFirst()), values: Array(values.prefix(Int(rows) * rowSize)))
        var result = [try references.compare("\(name)[:\(rows)]", head, key, kind: kind)]
        if case .float64(let norm)? = attributes["full_l2_norm"],
            case .float64(let normError)? = attributes["full_l2_norm_float64_error"]
        {
            let ours = values.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            result.append(
                TensorComparison(
                    name: "\(name) L2 norm", actual: [Float(ours)], actualShape: [],
                    expected: [Float(norm)], expectedShape: [],
                    tolerance: TraceTolerances.tolerance(kind, float64Error: Float(normError))))
        }
        if case .int64Array(let shape)? = attributes["full_shape"] {
            result.append(sameNames("\(name) full shape", ["\(tensor.shape)"], ["\(shape.map { Int($0) })"]))
        }
        return result
    }

    /// The model's state-dict after a step against `group` (parameters and the buffers that moved).
    static func compareState(
        _ references: LessonReferences, _ model: Module, group: String, label: String,
        checkpoint: [String: [Float]]
    ) throws -> Summary {
        let state = Dictionary(model.stateDict().map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        var summary = try compareTensors(references, group: group, kind: .state, label: label) { state[$0] }
        // The frozen parameters must not have moved: PyTorch lists them as unchanged.
        let unchanged = try references.list("unchanged", of: group)
        let same = unchanged.filter { key in state[key].map { $0.toArray() == checkpoint[key] } ?? false }
        summary.comparisons.append(
            exactly(
                "\(label): entries unchanged since the checkpoint (PyTorch's "
                    + "'unchanged' list)", same.count, unchanged.count))
        return summary
    }

    /// The state after all steps: `final/` element-wise, and layer4's large weights as checkpoint + `final_delta/`.
    static func compareFinal(
        _ references: LessonReferences, _ model: Module, checkpoint: [String: [Float]]
    ) throws
        -> Summary
    {
        let state = Dictionary(model.stateDict().map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        var summary = try compareTensors(references, group: "04-train/final", kind: .state, label: "final state") {
            state[$0]
        }
        var worst: Float = 0
        for key in try references.list("in_final_delta", of: "04-train/final") {
            guard let tensor = state[key], let start = checkpoint[key] else { continue }
            let delta = try references.tensor("04-train/final_delta/\(key)").toArray()
            let rebuilt = Tensor(shape: tensor.shape, values: zip(start, delta).map { $0 + $1 })
            let comparison = TensorComparison(
                name: "final \(key) (checkpoint + final_delta)", actual: tensor.toArray(), actualShape: tensor.shape,
                expected: rebuilt.toArray(), expectedShape: rebuilt.shape,
                tolerance: TraceTolerances.tolerance(
                    .state, float64Error: try references.float64Error("04-train/final_delta/\(key)")))
            worst = max(worst, comparison.maxAbsoluteError)
            summary.comparisons.append(comparison)
        }
        summary.line =
            "after all 15 steps: " + summary.line + "; layer4's 5 large weights (checkpoint + final_delta) "
            + "within \(worst)"
        return summary
    }
}
