import Checkpoints
import Foundation
import Golden
import NN
import Tensors
import TestSupport
import Testing
import Training
import Vision

/// Evaluating a real run folder (``RunFolderFixture``: the embedded model with a head trained on the target digits):
/// the evaluator's per-image records, the scores built from them, the JSON, loading bare checkpoints, and the
/// class checks.
@Suite("Evaluation of a trained model", .serialized)
struct EvaluationTests {
    static let run: RunDirectory = {
        do { return try RunFolderFixture.make() } catch { fatalError("cannot make the run folder: \(error)") }
    }()
    static var validation: String {
        (try? EmbeddedFixtures(root: PackagePaths.root(from: #filePath).path).targetValidation) ?? ""
    }

    static func evaluate(_ trained: TrainedModel, worst: Int = 5) throws -> Evaluation {
        let folder = try ImageFolder(root: validation)
        let loader = DataLoader(folder, batchSize: 16, transform: trained.preprocessing.evaluationTransform)
        let predictions = try Evaluator.predict(trained.model, on: loader)
        return Evaluation(
            source: .init(
                checkpoint: trained.checkpointPath, run: trained.run?.path, architecture: "resnet18",
                baseChannels: 12, data: validation, preprocessing: trained.preprocessing),
            classes: trained.classes, predictions: predictions, worstCount: worst, confusedCount: 3)
    }

    @Test("per image: the prediction is the argmax, the loss is -log p(true), probabilities are the model's softmax")
    func perImageRecords() throws {
        let trained = try TrainedModel.load(run: Self.run)
        #expect(!trained.model.training)
        let folder = try ImageFolder(root: Self.validation)
        let samples = try Evaluator.predict(
            trained.model, on: DataLoader(folder, batchSize: 7, transform: trained.preprocessing.evaluationTransform))
        #expect(samples.map(\.path) == folder.samples.map(\.path))
        #expect(samples.map(\.target) == folder.targets)
        // The same images one at a time, through the model directly.
        for index in [0, 9, folder.count - 1] {
            var random = TransformRandom(name: "t", seed: 0)
            let image = try trained.preprocessing.evaluationTransform.apply(
                try folder.loadImage(at: index), random: &random)
            let logits = noGrad { trained.model(Tensor(shape: [1] + image.shape, values: image.toArray())) }
            let probabilities = softmax(logits, dim: 1).toArray()
            let sample = samples[index]
            #expect(sample.prediction == Trainer.argmaxRows(logits)[0])
            #expect(abs(sample.probability - Double(probabilities[sample.prediction])) < 1e-5)
            #expect(abs(sample.loss + log(Double(probabilities[sample.target]))) < 1e-4)
        }
    }

    @Test("scores, worst images (highest loss first), most-confused pairs and the JSON agree with the predictions")
    func evaluationDocument() throws {
        let evaluation = try Self.evaluate(try TrainedModel.load(run: Self.run))
        let count = try ImageFolder(root: Self.validation).count
        #expect(evaluation.images == count && evaluation.classes.count == 5)
        let correct = evaluation.predictions.filter { $0.trueClass == $0.predictedClass }.count
        #expect(evaluation.accuracy == Double(correct) / Double(count))
        #expect(evaluation.accuracy > 0.5, "the trained head should beat chance (0.2) clearly")
        #expect(evaluation.worst.count == 5)
        #expect(evaluation.worst.map(\.loss) == evaluation.predictions.map(\.loss).sorted(by: >).prefix(5).map { $0 })
        #expect(evaluation.confusionMatrix.map { $0.reduce(0, +) } == evaluation.perClass.map(\.support))
        for pair in evaluation.mostConfused {
            let t = evaluation.classes.firstIndex(of: pair.trueClass)!
            let p = evaluation.classes.firstIndex(of: pair.predictedClass)!
            #expect(t != p && evaluation.confusionMatrix[t][p] == pair.count)
        }
        let decoded = try JSONDecoder().decode(Evaluation.self, from: try evaluation.encoded())
        #expect(decoded == evaluation)
        let text = evaluation.text()
        #expect(text.contains("macro avg") && text.contains("weighted avg") && text.contains("confusion matrix"))
    }

    @Test("most-confused pairs: largest first, ties in row-major order, the diagonal never")
    func mostConfused() {
        let metrics = ClassificationMetrics(
            predictions: [1, 1, 0, 2, 2, 0, 0, 1], targets: [0, 0, 1, 1, 0, 2, 2, 2], classCount: 3)
        // confusion: row 0 -> [0, 2, 1], row 1 -> [1, 0, 1], row 2 -> [2, 1, 0]
        #expect(
            metrics.mostConfused(limit: 3) == [
                .init(trueClass: 0, predictedClass: 1, count: 2), .init(trueClass: 2, predictedClass: 0, count: 2),
                .init(trueClass: 0, predictedClass: 2, count: 1),
            ])
        #expect(metrics.mostConfused(limit: 0).isEmpty)
    }

    @Test("a bare checkpoint: widths and class count from the file, names from flags, the sidecar or the data")
    func bareCheckpoint() throws {
        let path = Self.run.bestCheckpointPath
        let digits = ["digit_5", "digit_6", "digit_7", "digit_8", "digit_9"]
        let trained = try TrainedModel.load(
            checkpoint: path, preprocessing: .imageNet.resized(to: 32), dataClasses: digits)
        #expect(trained.architecture == .resnet18 && trained.model.baseChannels == 12 && trained.classes == digits)
        #expect(trained.classesSource == "the data folder")
        #expect {
            try TrainedModel.load(checkpoint: path, classes: ["a", "b", "c"], preprocessing: .imageNet)
        } throws: {
            "\($0)" == "\(path): its fc has 5 outputs (fc.weight [5, 96]) but --classes names 3 classes ('a', 'b', 'c')"
        }
        #expect { try TrainedModel.load(checkpoint: path, dataClasses: digits) } throws: {
            "\($0)".contains("pass --preset imagenet") && "\($0)".contains(path)
        }
        let notAResNet = NSTemporaryDirectory() + "not-a-resnet-\(UUID().uuidString).safetensors"
        defer { try? FileManager.default.removeItem(atPath: notAResNet) }
        try Linear(inFeatures: 2, outFeatures: 3).saveCheckpoint(path: notAResNet)
        #expect { try TrainedModel.load(checkpoint: notAResNet, preprocessing: .imageNet) } throws: {
            "\($0)".contains("not a torchvision ResNet state dict") && "\($0)".contains("weight")
        }
    }

    @Test("the data folder's classes must be the model's: extra, missing and reordered classes are named")
    func classMismatch() throws {
        let trained = try TrainedModel.load(run: Self.run)
        try trained.requireClasses(trained.classes, dataPath: "data")
        #expect {
            try trained.requireClasses(["digit_5", "digit_6", "digit_7", "digit_8", "<b>cat</b>"], dataPath: "data")
        } throws: {
            let message = "\($0)"
            return message.hasPrefix("data: its class folders differ")
                && message.contains("not classes of the model: '<b>cat</b>'")
                && message.contains("missing from the folder: 'digit_9'")
        }
        #expect { try trained.requireClasses(trained.classes.reversed(), dataPath: "data") } throws: {
            "\($0)".contains("the same classes in another order")
        }
    }

    /// The .pth and .safetensors reload into our engine with identical tensors; the sidecar names the classes; an
    /// existing file is refused unless forced, and left untouched.
    @Test("export: both formats reload with identical tensors; no overwrite without force")
    func export() throws {
        let trained = try TrainedModel.load(run: Self.run)
        let folder = NSTemporaryDirectory() + "export-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let original = trained.model.stateDict()
        for name in ["model.pth", "model.safetensors"] {
            let path = folder + "/" + name
            let (sidecarPath, sidecar) = try trained.export(to: path)
            #expect(sidecarPath == folder + "/model.json")
            #expect(try ExportedModel.read(path: sidecarPath) == sidecar)
            #expect(sidecar.classes == trained.classes && sidecar.baseChannels == 12)
            #expect(sidecar.pytorchModel == "tlref.resnets.resnet('resnet18', 5, base_width=12)")
            let reloaded = resnet18(numClasses: 5, baseChannels: 12)
            try reloaded.loadCheckpoint(path: path)
            let copy = reloaded.stateDict()
            #expect(copy.map(\.key) == original.map(\.key))
            for (mine, theirs) in zip(original, copy) {
                #expect(
                    mine.value.toArray() == theirs.value.toArray(), "\(name): \(mine.key) differs after the round trip")
            }
            let viaSidecar = try TrainedModel.load(checkpoint: path)
            #expect(viaSidecar.classes == trained.classes && viaSidecar.preprocessing == trained.preprocessing)
        }
        let path = folder + "/model.pth"
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(throws: ExportError.exists(path: path)) { try trained.export(to: path) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        try trained.export(to: path, force: true)
        #expect(throws: ExportError.unsupportedExtension(path: folder + "/model.onnx")) {
            try trained.export(to: folder + "/model.onnx")
        }
    }
}
