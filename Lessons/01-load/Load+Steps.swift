import Foundation
import Golden
import NN
import Tensors
import Training
import Vision

extension Lessons {
    /// Lesson 01: load the pretrained model and preprocess as it was trained (the post's first step).
    static let load = Lesson(
        number: 1, id: "01-load", title: "Load a pretrained ResNet-18 and preprocess as it was trained",
        summary: "The post builds resnet18(pretrained=True) and normalises with ImageNet's statistics. Here: the "
            + "embedded checkpoint, its own statistics, and every number checked against PyTorch.",
        steps: [
            Step(
                title: "Build the model and load the pretrained weights",
                pytorch: "model = resnet18(num_classes=5); model.load_state_dict(torch.load(path, weights_only=True))",
                swift: "let model = resnet18(numClasses: 5, baseChannels: 12); try model.loadCheckpoint(path: path)"
            ) {
                context in
                let fixtures = try EmbeddedFixtures(root: context.root.path)
                let model = resnet18(numClasses: fixtures.pretrainedClasses, baseChannels: fixtures.baseChannels)
                try model.loadCheckpoint(path: fixtures.checkpointPath)
                context.state["model"] = model
                context.state["fixtures"] = fixtures
                let keys = model.stateDict().map { "\($0.key)\t\($0.value.shape)" }
                let expected = try context.references.list("keys", of: "01-load")
                return StepOutcome(
                    lines: [
                        "\(keys.count) state-dict entries, \(model.parameterCount()) parameters; first and last:",
                        "  " + keys.prefix(3).joined(separator: ", ").replacingOccurrences(of: "\t", with: " "),
                        "  " + keys.suffix(2).joined(separator: ", ").replacingOccurrences(of: "\t", with: " "),
                    ],
                    comparisons: [
                        sameNames("state-dict keys and shapes", keys, expected),
                        exactly(
                            "parameter count", model.parameterCount(),
                            try context.references.integer("parameter_count", of: "01-load")),
                    ])
            },
            Step(
                title: "Preprocess one image with the model's own normalisation",
                pytorch: "x = transforms.Compose([transforms.ToTensor(), transforms.Normalize(mean, std)])(image)",
                swift: "let x = try Compose([ToTensor(), Normalize(mean: fixtures.mean, std: fixtures.std)])(image)"
            ) {
                context in
                let fixtures: EmbeddedFixtures = try context.value("fixtures")
                let path = try context.references.text("image", of: "01-load")
                let image = try ImageFolder.loadImage(path: context.path("Fixtures/data/" + path))
                let x = try Compose([ToTensor(), Normalize(mean: fixtures.mean, std: fixtures.std)])(image)
                let batch = x.reshape([1] + x.shape)
                context.state["batch"] = batch
                let values = x.toArray()
                return StepOutcome(
                    lines: [
                        "\(path): \(image.width)x\(image.height), \(image.channels) channels -> \(x.shape), values "
                            + String(format: "%.3f ... %.3f", Double(values.min() ?? 0), Double(values.max() ?? 0)),
                        "mean \(fixtures.mean[0]), std \(fixtures.std[0]): the statistics this model was trained "
                            + "with (ImageNet's 0.485/0.229... belong to ImageNet-trained weights)",
                    ],
                    comparisons: [try context.references.compare("input", batch, "01-load/input")])
            },
            Step(
                title: "Run it in eval mode, without autograd",
                pytorch: "model.eval(); with torch.no_grad(): logits = model(x)",
                swift: "model.eval(); let logits = noGrad { model(x) }"
            ) { context in
                let model: ResNet = try context.value("model")
                let batch: Tensor = try context.value("batch")
                model.eval()
                let recorder = ForwardRecorder(root: model)
                let logits = recorder.recording { noGrad { model(batch) } }
                let probabilities = softmax(logits, dim: 1)
                let predicted = Trainer.argmaxRows(logits)
                let classes = try context.references.list("model_classes", of: "01-load")
                var comparisons = [
                    try context.references.compare("logits", logits, "01-load/logits", kind: .logits),
                    try context.references.compare("softmax", probabilities, "01-load/softmax", kind: .logits),
                    try context.references.compare("predicted class", integers: predicted, "01-load/predicted"),
                ]
                // Every module's output, as forward hooks on every module record it in PyTorch.
                let stored = try context.references.children(of: "01-load/activations").sorted()
                var worst: TensorComparison?
                var failing: [TensorComparison] = []
                for (index, entry) in stored.enumerated() where index < recorder.outputs.count {
                    let comparison = try context.references.compare(
                        "\(entry)", recorder.outputs[index].output, "01-load/activations/\(entry)")
                    if !comparison.passed { failing.append(comparison) }
                    if worst == nil || comparison.maxAbsoluteError > worst!.maxAbsoluteError { worst = comparison }
                }
                comparisons.append(exactly("module outputs recorded", recorder.outputs.count, stored.count))
                comparisons += failing
                let p = probabilities.toArray()
                return StepOutcome(
                    lines: [
                        "predicted \(classes[predicted[0]]) with p = "
                            + "\(String(format: "%.3f", Double(p[predicted[0]]))) "
                            + "(the pretrained head knows the SOURCE digits 0-4; this image is a 5: lesson 02 "
                            + "replaces the head)",
                        "\(stored.count) module outputs compared with PyTorch's forward hooks; largest difference "
                            + "\(worst.map { "\($0.maxAbsoluteError) at \($0.name)" } ?? "-"), "
                            + "\(failing.count) outside tolerance",
                    ],
                    comparisons: comparisons)
            },
            Step(
                title: "The mistake: forgetting model.eval()",
                pytorch: "model.train(); model(x)  # ValueError on one image; wrong logits on a batch",
                swift: "model.train(); model(batch)"
            ) { context in
                let model: ResNet = try context.value("model")
                let fixtures: EmbeddedFixtures = try context.value("fixtures")
                let paths = try context.references.list("batch_images", of: "01-load/mistakes")
                let pipeline = Compose([ToTensor(), Normalize(mean: fixtures.mean, std: fixtures.std)])
                let images = try paths.map {
                    try pipeline(try ImageFolder.loadImage(path: context.path("Fixtures/data/" + $0)))
                }
                let batch = Tensor(shape: [images.count] + images[0].shape, values: images.flatMap { $0.toArray() })
                let message = try context.references.text(
                    "train_mode_single_image_exception_message",
                    of: "01-load/mistakes")
                // A copy, so the running statistics of the model other steps use do not move.
                let copy = try deepCopy(model)
                copy.train()
                let trainLogits = noGrad { copy(batch) }
                model.eval()
                let evalLogits = noGrad { model(batch) }
                let trainPredicted = Trainer.argmaxRows(trainLogits), evalPredicted = Trainer.argmaxRows(evalLogits)
                return StepOutcome(
                    lines: [
                        "On one image PyTorch raises: \(message) (so does this engine).",
                        "On a batch of 5 it runs, normalising with the BATCH's statistics: predictions "
                            + "\(trainPredicted) in train mode vs \(evalPredicted) in eval mode.",
                    ],
                    comparisons: [
                        try context.references.compare(
                            "train-mode logits (batch of 5)", trainLogits,
                            "01-load/mistakes/train_mode_logits", kind: .logits),
                        try context.references.compare(
                            "eval-mode logits (batch of 5)", evalLogits,
                            "01-load/mistakes/batch_eval_logits", kind: .logits),
                    ])
            },
        ],
        exercise: loadExercise)
}
