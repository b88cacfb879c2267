import Foundation
import Golden

/// Runs a lesson's steps in order and prints, per step: its title, the PyTorch line it mirrors, the Swift line,
/// what it computed, and each comparison with PyTorch's stored numbers (max abs/rel error, tolerance, verdict).
public enum LessonRunner {
    /// Returns whether every comparison of every step passed. `pause` is called between steps (`--step`).
    public static func run(_ lesson: Lesson, root: URL, pause: () -> Void = {}, print: (String) -> Void) throws -> Bool
    {
        let context = try LessonContext(root: root)
        print("Lesson \(lesson.number) (\(lesson.id)): \(lesson.title)")
        print(lesson.summary)
        let provenance = try ReferenceProvenance(path: context.references.path)
        if let warning = provenance.versionWarning(pinned: ReferenceProvenance.pinnedTorchVersion(root: root)) {
            print(warning)
        }
        var passed = true
        var compared = 0
        for (index, step) in lesson.steps.enumerated() {
            if index > 0 { pause() }
            print("")
            print("Step \(index + 1)/\(lesson.steps.count): \(step.title)")
            print("  PyTorch: \(step.pytorch)")
            print("  Swift:   \(step.swift)")
            let outcome = try step.run(context)
            for line in outcome.lines { print("  " + line) }
            for comparison in outcome.comparisons {
                print("  " + describe(comparison))
                if !comparison.passed { print("    " + comparison.description) }
            }
            compared += outcome.comparisons.count
            passed = passed && outcome.passed
        }
        print("")
        print(
            passed
                ? "All \(compared) comparisons with PyTorch passed."
                : "Some comparisons with PyTorch FAILED (see above).")
        print(
            "Exercise: edit \(lesson.exercise.exerciseFolder)/, then `workbench grade \(lesson.number)` "
                + "(`workbench hint \(lesson.number)` when stuck).")
        return passed
    }

    /// Every comparison of every step, in order, without printing (what `workbench regress` replays).
    public static func comparisons(_ lesson: Lesson, root: URL) throws -> [TensorComparison] {
        let context = try LessonContext(root: root)
        return try lesson.steps.flatMap { try $0.run(context).comparisons }
    }

    /// `vs PyTorch: logits [1, 5]: max abs 1.2e-06, max rel 3.1e-07 (tolerance atol 1.6e-05, rtol 1e-05): pass`.
    static func describe(_ c: TensorComparison) -> String {
        let shape = c.expectedShape.isEmpty ? "" : " \(c.expectedShape)"
        if c.tolerance == .exact {
            return "vs PyTorch: \(c.name)\(shape): \(c.passed ? "equal" : "DIFFERENT (must be equal)")"
        }
        return "vs PyTorch: \(c.name)\(shape): max abs \(format(c.maxAbsoluteError)), max rel "
            + "\(format(c.maxRelativeError)) (tolerance atol \(format(c.tolerance.absolute)), rtol "
            + "\(format(c.tolerance.relative))): \(c.passed ? "pass" : "FAIL")"
    }

    static func format(_ value: Float) -> String { value == 0 ? "0" : String(format: "%.1e", Double(value)) }
}
