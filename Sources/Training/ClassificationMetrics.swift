import Tensors

/// Accuracy, precision, recall and F1 of class predictions, with scikit-learn's definitions
/// (sklearn.metrics.accuracy_score, precision_recall_fscore_support; a class never predicted has precision 0,
/// a class with no samples recall 0, and a class whose precision and recall are both 0 has F1 0, as with
/// `zero_division=0`).
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

    /// Per class: the harmonic mean `2 * p * r / (p + r)` of precision and recall (0 when both are 0, as
    /// sklearn's `f1_score(zero_division=0)`).
    public var f1: [Double] {
        zip(precision, recall).map { p, r in p + r == 0 ? 0 : 2 * p * r / (p + r) }
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

    /// Means weighted by each class's support (`average="weighted"`): classes without samples weigh 0.
    public var weightedPrecision: Double { weightedMean(precision) }
    public var weightedRecall: Double { weightedMean(recall) }
    public var weightedF1: Double { weightedMean(f1) }

    private func weightedMean(_ values: [Double]) -> Double {
        let weights = support
        let total = weights.reduce(0, +)
        return total == 0 ? 0 : zip(values, weights).reduce(0.0) { $0 + $1.0 * Double($1.1) } / Double(total)
    }

    private func mean(_ values: [Double]) -> Double {
        let classes = presentClasses
        return classes.isEmpty ? 0 : classes.map { values[$0] }.reduce(0, +) / Double(classes.count)
    }
}
