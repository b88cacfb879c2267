import ExerciseSupport
import Foundation

/// One exercise as the grader sees it: where the learner's files, the reference solution, the starting state and
/// the driver live, and the checks that score it. The lessons define these (Lessons/<id>/Checks.swift).
public struct ExerciseSpec {
    /// The lesson number (1-based) and its folder name, e.g. `01-load`.
    public let lesson: Int
    public let id: String
    public let title: String
    /// The learner-editable files, by name, in `Lessons/<id>/Exercise/`.
    public let files: [String]
    public let checks: [ExerciseCheck]
    /// Hints in the order `workbench hint` gives them; none reveals the answer.
    public let hints: [String]

    public init(lesson: Int, id: String, title: String, files: [String], checks: [ExerciseCheck], hints: [String]) {
        self.lesson = lesson
        self.id = id
        self.title = title
        self.files = files
        self.checks = checks
        self.hints = hints
    }

    /// The learner's copy (edited in place).
    public var exerciseFolder: String { "Lessons/\(id)/Exercise" }
    /// The reference solution, kept apart from the learner's files.
    public var solutionFolder: String { "Lessons/Solutions/\(id)" }
    /// The starting state `workbench reset` restores (each file with `.start` appended).
    public var templateFolder: String { "Lessons/Templates/\(id)" }
    /// The grader's driver: the exercise executable's `main.swift`, which calls the learner's functions.
    public var driverFile: String { "Lessons/\(id)/Driver.swift" }
    /// The executable's name in the grader's package: `exercise_01_load`.
    public var productName: String { "exercise_" + id.replacingOccurrences(of: "-", with: "_") }
}

/// One scored check: the driver runs it (in its own process, under ``timeLimitSeconds``) and ``evaluate`` turns
/// what the learner's code returned into points, a diagnosis and a hint.
public struct ExerciseCheck {
    /// The name the driver knows the check by (`Driver.swift`'s table).
    public let id: String
    public let name: String
    public let points: Double
    public let timeLimitSeconds: Double
    /// Recognises a known mistake in the standard error of a crashed run (nil: not recognised).
    public let recognizeCrash: (String) -> String?
    /// Scores what the driver wrote; the second argument is the package root (for the references).
    public let evaluate: (ExerciseOutput, URL) throws -> CheckResult

    public init(
        id: String, name: String, points: Double, timeLimitSeconds: Double = 60,
        recognizeCrash: @escaping (String) -> String? = { _ in nil },
        evaluate: @escaping (ExerciseOutput, URL) throws -> CheckResult
    ) {
        self.id = id
        self.name = name
        self.points = points
        self.timeLimitSeconds = timeLimitSeconds
        self.recognizeCrash = recognizeCrash
        self.evaluate = evaluate
    }
}

/// Which files are graded.
public enum ExerciseVariant: Sendable, Equatable {
    /// The learner's files in `Lessons/<id>/Exercise/`.
    case learner
    /// The reference solution in `Lessons/Solutions/<id>/`.
    case solution
    /// Other files standing in for the exercise's, by file name (for mutation tests and teachers' submissions).
    case files([String: String])

    var label: String {
        switch self {
        case .learner: return "your code"
        case .solution: return "reference solution"
        case .files(let files): return files.values.sorted().joined(separator: ", ")
        }
    }
}
