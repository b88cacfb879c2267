/// The grade of one check of an exercise: points out of a maximum, what was right or wrong and why, and a hint
/// that points the way without giving the answer.
public struct CheckResult: Sendable {
    public enum Status: String, Sendable {
        /// Full marks.
        case passed
        /// Some of the points: part of the check holds.
        case partial
        /// No points: the result is wrong, or the exercise crashed, hung or did not compile.
        case failed
        /// No points: the exercise's TODO is still open.
        case notDone = "not done"
    }

    public let name: String
    public let points: Double
    public let maxPoints: Double
    public let status: Status
    /// What was expected and what came back, the first diverging tensor or parameter, the mistake recognised.
    public let diagnosis: String
    /// What to try next (empty on full marks).
    public let hint: String

    public init(name: String, points: Double, maxPoints: Double, status: Status, diagnosis: String, hint: String = "") {
        self.name = name
        self.points = min(max(points, 0), maxPoints)
        self.maxPoints = maxPoints
        // A check is never reported as passed without full marks, nor failed with them.
        if status == .passed && self.points < maxPoints {
            self.status = self.points > 0 ? .partial : .failed
        } else {
            self.status = status
        }
        self.diagnosis = diagnosis
        self.hint = hint
    }

    public static func passed(_ name: String, points: Double, _ diagnosis: String) -> CheckResult {
        CheckResult(name: name, points: points, maxPoints: points, status: .passed, diagnosis: diagnosis)
    }

    public static func failed(_ name: String, maxPoints: Double, _ diagnosis: String, hint: String) -> CheckResult {
        CheckResult(name: name, points: 0, maxPoints: maxPoints, status: .failed, diagnosis: diagnosis, hint: hint)
    }

    public var isFullMarks: Bool { points >= maxPoints }
}

/// The grade of one exercise: its checks, in order.
public struct ExerciseGrade: Sendable {
    public let lesson: Int
    public let exercise: String
    public let title: String
    /// What was graded: the learner's files, the reference solution, or other files.
    public let variant: String
    public let checks: [CheckResult]

    public init(lesson: Int, exercise: String, title: String, variant: String, checks: [CheckResult]) {
        self.lesson = lesson
        self.exercise = exercise
        self.title = title
        self.variant = variant
        self.checks = checks
    }

    public var points: Double { checks.reduce(0) { $0 + $1.points } }
    public var maxPoints: Double { checks.reduce(0) { $0 + $1.maxPoints } }
    /// Full marks on every check.
    public var passed: Bool { !checks.isEmpty && checks.allSatisfy(\.isFullMarks) }
}
