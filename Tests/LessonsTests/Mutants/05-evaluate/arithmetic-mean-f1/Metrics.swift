// Reference solution of lesson 05 (graded by `workbench grade 5 --solution`).

/// Precision: the diagonal over each COLUMN's sum (everything predicted as the class); 0 when nothing was.
func precisionPerClass(_ confusion: [[Int]]) -> [Double]? {
    (0..<confusion.count).map { c in
        let predicted = confusion.reduce(0) { $0 + $1[c] }
        return predicted == 0 ? 0 : Double(confusion[c][c]) / Double(predicted)
    }
}

/// Recall: the diagonal over each ROW's sum (every sample of the class); 0 for a class with no samples.
func recallPerClass(_ confusion: [[Int]]) -> [Double]? {
    (0..<confusion.count).map { c in
        let actual = confusion[c].reduce(0, +)
        return actual == 0 ? 0 : Double(confusion[c][c]) / Double(actual)
    }
}

/// F1: 2pr / (p + r), and 0 when p + r is 0.
func f1PerClass(precision: [Double], recall: [Double]) -> [Double]? {
    zip(precision, recall).map { p, r in (p + r) / 2 }  // mutant: the arithmetic mean
}
