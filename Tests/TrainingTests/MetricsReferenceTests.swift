import Golden
import HDF5
import Tensors
import TestSupport
import Testing
import Training

/// `Fixtures/references/metrics.h5` (`Fixtures/generate_references.py metrics`, layout in
/// Fixtures/references/METRICS.md): scikit-learn's scores and torch's argmax, cross-entropy and softmax on
/// committed cases, replayed through ``ClassificationMetrics``, ``Trainer/argmaxRows(_:)`` and the functional ops
/// the evaluator uses.
@Suite("Classification metrics against scikit-learn")
struct MetricsReferenceTests {
    static let path = PackagePaths.file("Fixtures/references/metrics.h5")
    static let file: HDF5File = {
        do { return try HDF5File(path: path) } catch { fatalError("cannot open \(path): \(error)") }
    }()
    static let caseNames: [String] = {
        do { return try file.root.group("cases").groupNames() } catch { fatalError("\(path): \(error)") }
    }()

    static func ints(_ group: HDF5Group, _ name: String) throws -> [Int] {
        try group.read(name, as: Int64.self).values.map { Int($0) }
    }

    static func doubles(_ group: HDF5Group, _ name: String) throws -> [Double] {
        try group.read(name, as: Double.self).values
    }

    @Test("the file records sklearn's version and zero_division=0, and holds the cases the semantics need")
    func provenance() throws {
        let attributes = try Self.file.root.attributes()
        #expect(attributes["sklearn_version"] == .string("1.9.1"))
        #expect(attributes["zero_division"] == .int64(0))
        #expect(attributes["generator"] == .string("Fixtures/generate_references.py"))
        for name in ["never_predicted", "absent_from_targets", "absent_from_both", "argmax_ties", "many_classes_12"] {
            #expect(Self.caseNames.contains(name), "metrics.h5 has no case \(name)")
        }
    }

    /// Accuracy, confusion matrix, per-class precision/recall/F1/support and the macro and weighted averages.
    @Test("every score equals sklearn's to the last bit", arguments: caseNames)
    func matchesScikitLearn(_ name: String) throws {
        let group = try Self.file.root.group("cases/\(name)")
        let classes = Int(
            try { () throws -> Int64 in
                guard case .int64(let value) = try group.attribute("num_classes") else { return -1 }
                return value
            }())
        let targets = try Self.ints(group, "y_true")
        var predictions = try Self.ints(group, "y_pred")
        if group.contains("logits") {
            let logits = try group.read("logits", as: Float.self)
            let ours = Trainer.argmaxRows(Tensor(shape: logits.shape, values: logits.values))
            #expect(ours == predictions, "\(name): argmax differs from torch.argmax (first maximum on ties)")
            predictions = ours
        }
        let metrics = ClassificationMetrics(predictions: predictions, targets: targets, classCount: classes)
        let confusion = try Self.ints(group, "confusion_matrix")
        #expect(metrics.confusion.flatMap { $0 } == confusion, "\(name): confusion matrix")
        #expect(metrics.accuracy == (try Self.doubles(group, "accuracy"))[0], "\(name): accuracy")
        #expect(metrics.support == (try Self.ints(group, "support")), "\(name): support")
        #expect(metrics.precision == (try Self.doubles(group, "precision")), "\(name): precision")
        #expect(metrics.recall == (try Self.doubles(group, "recall")), "\(name): recall")
        #expect(metrics.f1 == (try Self.doubles(group, "f1")), "\(name): f1")
        #expect(metrics.presentClasses == (try Self.ints(group, "present_labels")), "\(name): present labels")
        let macro = [metrics.macroPrecision, metrics.macroRecall, metrics.macroF1]
        let weighted = [metrics.weightedPrecision, metrics.weightedRecall, metrics.weightedF1]
        for (index, score) in ["precision", "recall", "f1"].enumerated() {
            #expect(macro[index] == (try Self.doubles(group, "macro/\(score)"))[0], "\(name): macro \(score)")
            #expect(weighted[index] == (try Self.doubles(group, "weighted/\(score)"))[0], "\(name): weighted \(score)")
        }
    }

    /// A class absent from targets and predictions is left out of the macro average (labels=None), which then
    /// differs from sklearn's labels=range(N) average.
    @Test("a class in neither array is left out of the macro average")
    func absentClassesLeaveTheMacroAverage() throws {
        let group = try Self.file.root.group("cases/absent_from_both")
        let allLabels = try Self.doubles(group, "macro_all_labels/f1")[0]
        let present = try Self.doubles(group, "macro/f1")[0]
        #expect(allLabels != present, "the case does not tell the two averages apart")
        let metrics = ClassificationMetrics(
            predictions: try Self.ints(group, "y_pred"), targets: try Self.ints(group, "y_true"), classCount: 5)
        #expect(metrics.macroF1 == present && metrics.macroF1 != allLabels)
    }

    @Test(
        "per-sample cross-entropy and softmax match torch's (float32 tolerance)",
        arguments: ["argmax_ties", "normal_logits"])
    func lossesAndProbabilities(_ name: String) throws {
        let group = try Self.file.root.group("cases/\(name)")
        let stored = try group.read("logits", as: Float.self)
        let logits = Tensor(shape: stored.shape, values: stored.values)
        let targets = try Self.ints(group, "y_true")
        let loss = try group.read("cross_entropy", as: Float.self)
        let probabilities = try group.read("softmax", as: Float.self)
        expectClose(
            crossEntropy(logits, target: targets, reduction: .none), Tensor(shape: loss.shape, values: loss.values),
            "\(name)/cross_entropy")
        expectClose(
            softmax(logits, dim: 1), Tensor(shape: probabilities.shape, values: probabilities.values), "\(name)/softmax"
        )
    }
}
