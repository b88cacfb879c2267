import ExerciseSupport
import Foundation
import Golden
import Grading
import Tensors

extension Lessons {
    /// Lesson 05's exercise: precision, recall and F1 per class from a confusion matrix (sklearn's semantics).
    static let evaluateExercise = ExerciseSpec(
        lesson: 5, id: "05-evaluate", title: "Precision, recall and F1 from a confusion matrix",
        files: ["Metrics.swift"],
        checks: [
            ExerciseCheck(
                id: "precision", name: "precision per class matches scikit-learn's", points: 4,
                recognizeCrash: recognizeIntegerDivisionByZero
            ) { output, root in
                try gradeMetric(output, try LessonReferences.shared(root: root), metric: "precision", points: 4)
            },
            ExerciseCheck(
                id: "recall", name: "recall per class matches scikit-learn's", points: 3,
                recognizeCrash: recognizeIntegerDivisionByZero
            ) { output, root in
                try gradeMetric(output, try LessonReferences.shared(root: root), metric: "recall", points: 3)
            },
            ExerciseCheck(
                id: "f1", name: "F1 per class matches scikit-learn's", points: 3,
                recognizeCrash: recognizeIntegerDivisionByZero
            ) { output, root in
                try gradeMetric(output, try LessonReferences.shared(root: root), metric: "f1", points: 3)
            },
        ],
        hints: [
            "Draw the 3x3 matrix: a row is everything of one TRUE class, a column everything PREDICTED as one "
                + "class. Precision asks 'of what I called c, how much was c?'; recall 'of all c, how much did I "
                + "find?'.",
            "Class 2 is never predicted: its precision is 0/0. Swift's Double gives NaN there, Int traps; "
                + "scikit-learn's zero_division=0 makes it 0.",
            "F1 is a harmonic mean, not an arithmetic one.",
        ])

    static func gradeMetric(
        _ output: ExerciseOutput, _ references: LessonReferences, metric: String,
        points: Double
    ) throws -> CheckResult {
        let name = "\(metric == "f1" ? "F1" : metric) per class matches scikit-learn's"
        // The driver's pair must be the stored one (else the references, not the learner, are out of date).
        let labels = try references.integers("05-evaluate/exercise/labels")
        let predictions = try references.integers("05-evaluate/exercise/predictions")
        guard output.integers["labels"] == labels, output.integers["predictions"] == predictions else {
            return .failed(
                name, maxPoints: points,
                "the driver's labels/predictions are not 05-evaluate/exercise's "
                    + "(Lessons/05-evaluate/Driver.swift and Fixtures/references/lessons.h5 disagree)",
                hint: "run `workbench reset 5`")
        }
        guard let values = output.tensors[metric] else {
            return .failed(name, maxPoints: points, "nothing returned", hint: "return one value per class")
        }
        let key = "05-evaluate/exercise/\(metric)"
        let expected = try references.tensor(key)
        let comparison = try references.compare(metric, values, key, kind: .loss)
        let ours = values.toArray().map { Double($0) }
        let sklearn = expected.toArray().map { Double($0) }
        func shown(_ v: [Double]) -> String {
            "["
                + v.map { $0.isNaN ? "nan" : String(format: "%.4g", $0) }
                .joined(separator: ", ") + "]"
        }
        if comparison.passed {
            return .passed(
                name, points: points,
                "\(shown(ours)) equals sklearn's \(shown(sklearn)), class 2 (never "
                    + "predicted) included")
        }
        guard values.shape == expected.shape else {
            return .failed(
                name, maxPoints: points,
                "you returned \(ours.count) values; there are \(sklearn.count) "
                    + "classes", hint: "one value per class, in class order")
        }
        // Swapped: precision computed from the rows (that is recall), or recall from the columns.
        let other = metric == "precision" ? "recall" : metric == "recall" ? "precision" : nil
        if let other, try references.compare(other, values, "05-evaluate/exercise/\(other)", kind: .loss).passed {
            let (yours, right) = metric == "precision" ? ("ROW", "COLUMN") : ("COLUMN", "ROW")
            return .failed(
                name, maxPoints: points,
                "your \(metric) \(shown(ours)) is sklearn's \(other): you divided "
                    + "the diagonal by each \(yours) sum; \(metric) divides by each \(right) sum "
                    + "(rows are true classes, columns predictions). Expected \(shown(sklearn))",
                hint: "say in words what the denominator of \(metric) counts, then find it in the matrix")
        }
        // NaN where sklearn's zero_division=0 gives 0.
        let nanClasses = ours.indices.filter { ours[$0].isNaN }
        let rest = ours.indices.filter { !ours[$0].isNaN }
        if !nanClasses.isEmpty, rest.allSatisfy({ abs(ours[$0] - sklearn[$0]) <= 1e-6 }) {
            let why =
                metric == "f1"
                ? "its precision and recall are both 0"
                : metric == "precision"
                    ? "class 2 is never predicted" : "a class without samples"
            return CheckResult(
                name: name, points: points / 2, maxPoints: points, status: .partial,
                diagnosis: "right for every class but \(nanClasses.map(String.init).joined(separator: ", ")), "
                    + "where you return NaN: a division 0/0 (\(why)); sklearn's zero_division=0 "
                    + "returns 0 there. You: \(shown(ours)), sklearn: \(shown(sklearn))",
                hint: "decide what the value is when the denominator is 0 before dividing")
        }
        if metric == "f1" {
            let precision = try references.tensor("05-evaluate/exercise/precision").toArray()
            let recall = try references.tensor("05-evaluate/exercise/recall").toArray()
            let arithmetic = zip(precision, recall).map { Double($0 + $1) / 2 }
            if zip(ours, arithmetic).allSatisfy({ abs($0 - $1) <= 1e-6 }) {
                return .failed(
                    name, maxPoints: points,
                    "your F1 \(shown(ours)) is the ARITHMETIC mean (p + r) / 2; "
                        + "F1 is the harmonic mean. Expected \(shown(sklearn))",
                    hint: "F1 is built so that a low precision OR a low recall pulls it down; the plain "
                        + "average does not")
            }
        }
        return .failed(
            name, maxPoints: points, "you: \(shown(ours)), sklearn: \(shown(sklearn)); \(comparison)",
            hint: "work the 3x3 matrix by hand for one class, then compare")
    }

    /// Integer 0/0: Swift traps where sklearn's zero_division=0 gives 0. Only a debug build prints the runtime's
    /// "Division by zero"; the grader's release build traps silently, and the crash is reported as such.
    static func recognizeIntegerDivisionByZero(_ stderr: String) -> String? {
        guard stderr.contains("Division by zero") else { return nil }
        return "recognised: an integer division by zero - class 2 is never predicted, so its precision is 0/0. "
            + "Swift traps on Int 0/0 (Double gives NaN); sklearn's zero_division=0 returns 0 for it."
    }
}
