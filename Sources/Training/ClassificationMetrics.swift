import Tensors

/// Accuracy, precision, recall and F1 of class predictions, with scikit-learn's definitions and arithmetic
/// (sklearn.metrics.accuracy_score, confusion_matrix, precision_recall_fscore_support with `zero_division=0`): a
/// class never predicted has precision 0, a class with no samples recall 0, and a class with neither F1 0.
///
/// Which classes the averages cover: the per-class arrays list every class `0..<classCount` (sklearn's
/// `labels=range(classCount)`), while the macro and weighted averages are over the classes that occur among the
/// targets or the predictions (``presentClasses``) - sklearn's default `labels=None`, and torchmetrics' macro
/// average, which also leaves out a class with no true positive, false positive or false negative. A class that is
/// neither in the data nor ever predicted says nothing about the model, so it does not pull the macro average to 0.
/// (With every class present, as `workbench evaluate` requires, the two choices agree.)
///
/// Fixtures/references/metrics.h5 holds scikit-learn's values for committed cases; the tests require equality to
/// the last bit, which is why F1 is computed from the counts and the averages sum in numpy's order.
public struct ClassificationMetrics: Sendable, Equatable {
    /// `confusion[t][p]`: samples of true class `t` predicted as `p`.
    public let confusion: [[Int]]

    public init(predictions: [Int], targets: [Int], classCount: Int) {
        require(
            predictions.count == targets.count,
            "\(predictions.count) predictions for \(targets.count) targets")
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: classCount), count: classCount)
        for (p, t) in zip(predictions, targets) {
            require(
                (0..<classCount).contains(p) && (0..<classCount).contains(t),
                "class index out of range 0..<\(classCount): prediction \(p), target \(t)")
            confusion[t][p] += 1
        }
        self.confusion = confusion
    }

    public var classCount: Int { confusion.count }
    public var sampleCount: Int { confusion.joined().reduce(0, +) }

    /// Fraction of samples predicted correctly.
    public var accuracy: Double {
        sampleCount == 0 ? 0 : Double((0..<classCount).map { confusion[$0][$0] }.reduce(0, +)) / Double(sampleCount)
    }

    /// Per class: true positives / predicted positives (0 when the class is never predicted).
    public var precision: [Double] {
        (0..<classCount).map { c in
            let predicted = (0..<classCount).map { confusion[$0][c] }.reduce(0, +)
            return predicted == 0 ? 0 : Double(confusion[c][c]) / Double(predicted)
        }
    }

    /// Per class: true positives / actual positives (0 for a class with no samples).
    public var recall: [Double] {
        (0..<classCount).map { c in
            let actual = confusion[c].reduce(0, +)
            return actual == 0 ? 0 : Double(confusion[c][c]) / Double(actual)
        }
    }

    /// Per class: the harmonic mean of precision and recall, computed as scikit-learn does from the counts,
    /// `2 * tp / (support + predicted)` (equal to `2 * p * r / (p + r)`, but rounded once, so the values match
    /// sklearn's to the last bit); 0 for a class neither present nor predicted (`zero_division=0`).
    public var f1: [Double] {
        let predicted = predictedCounts
        return (0..<classCount).map { c in
            let denominator = support[c] + predicted[c]
            return denominator == 0 ? 0 : Double(2 * confusion[c][c]) / Double(denominator)
        }
    }

    /// Per class: how many samples were predicted as it (the confusion matrix's column sums).
    public var predictedCounts: [Int] {
        (0..<classCount).map { c in (0..<classCount).map { confusion[$0][c] }.reduce(0, +) }
    }

    /// One off-diagonal cell of the confusion matrix: `count` samples of class `trueClass` predicted as
    /// `predictedClass`.
    public struct Confusion: Equatable, Sendable {
        public let trueClass: Int
        public let predictedClass: Int
        public let count: Int

        public init(trueClass: Int, predictedClass: Int, count: Int) {
            self.trueClass = trueClass
            self.predictedClass = predictedClass
            self.count = count
        }
    }

    /// The `limit` largest off-diagonal cells with a count above 0, largest first; equal counts in row-major order
    /// (true class, then predicted class).
    public func mostConfused(limit: Int) -> [Confusion] {
        var cells: [Confusion] = []
        for t in 0..<classCount {
            for p in 0..<classCount where p != t && confusion[t][p] > 0 {
                cells.append(Confusion(trueClass: t, predictedClass: p, count: confusion[t][p]))
            }
        }
        let ranked = cells.enumerated().sorted { a, b in
            a.element.count != b.element.count ? a.element.count > b.element.count : a.offset < b.offset
        }
        return ranked.prefix(max(limit, 0)).map(\.element)
    }

    /// Per class: the number of samples whose true class it is (sklearn's `support`).
    public var support: [Int] { confusion.map { $0.reduce(0, +) } }

    /// The classes that occur among the targets or the predictions: those scikit-learn averages over when
    /// `labels=None`.
    public var presentClasses: [Int] {
        (0..<classCount).filter { c in
            confusion[c].reduce(0, +) > 0 || (0..<classCount).contains { confusion[$0][c] > 0 }
        }
    }

    /// Unweighted mean over the present classes (`precision_score(average="macro", zero_division=0)`).
    public var macroPrecision: Double { mean(precision) }
    /// Unweighted mean over the present classes (`recall_score(average="macro", zero_division=0)`).
    public var macroRecall: Double { mean(recall) }

    /// Unweighted mean of the per-class F1 values over the present classes (`f1_score(average="macro")`): NOT the
    /// F1 of the macro precision and recall.
    public var macroF1: Double { mean(f1) }

    /// Means weighted by each class's support (`average="weighted"`: `sum(value * support) / sum(support)`):
    /// classes without samples weigh 0.
    public var weightedPrecision: Double { weightedMean(precision) }
    public var weightedRecall: Double { weightedMean(recall) }
    public var weightedF1: Double { weightedMean(f1) }

    /// `np.average(values, weights=support)` over the present classes: `sum(values * support) / sum(support)`,
    /// summed in numpy's order (``pairwiseSum(_:)``).
    private func weightedMean(_ values: [Double]) -> Double {
        let classes = presentClasses
        let weights = classes.map { Double(support[$0]) }
        let total = pairwiseSum(weights)
        return total == 0 ? 0 : pairwiseSum(zip(classes, weights).map { values[$0] * $1 }) / total
    }

    /// `np.mean` of `values` over the present classes, summed in numpy's order (``pairwiseSum(_:)``).
    private func mean(_ values: [Double]) -> Double {
        let classes = presentClasses
        return classes.isEmpty ? 0 : pairwiseSum(classes.map { values[$0] }) / Double(classes.count)
    }
}
