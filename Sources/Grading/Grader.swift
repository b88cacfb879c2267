import ExerciseSupport
import Foundation

/// Builds an exercise apart from the workbench, runs each of its checks in its own process under a time limit,
/// and scores what came back. Never crashes or hangs on a learner's code: a compile error fails every check with
/// the compiler's file:line messages, a crash or hang fails its own check and says so.
public struct Grader {
    public let workspace: ExerciseWorkspace

    public init(root: URL) { workspace = ExerciseWorkspace(root: root) }

    public func grade(
        _ spec: ExerciseSpec, variant: ExerciseVariant = .learner,
        progress: (String) -> Void = { _ in }
    ) async -> ExerciseGrade {
        func everyCheck(_ diagnosis: String, hint: String) -> ExerciseGrade {
            ExerciseGrade(
                lesson: spec.lesson, exercise: spec.id, title: spec.title, variant: variant.label,
                checks: spec.checks.map { .failed($0.name, maxPoints: $0.points, diagnosis, hint: hint) })
        }
        let target: String
        do {
            target = try workspace.prepare(spec, variant)
        } catch {
            return everyCheck("could not prepare the exercise: \(error)", hint: "run `workbench reset \(spec.lesson)`")
        }
        progress("building \(spec.id) (\(variant.label))...")
        let executable: String
        switch await workspace.build(target) {
        case .built(let path):
            executable = path
        case .compileErrors(let diagnostics):
            let shown = diagnostics.prefix(8).map(\.description).joined(separator: "\n")
            let more = diagnostics.count > 8 ? "\n(\(diagnostics.count - 8) more errors)" : ""
            return everyCheck(
                "does not compile:\n\(shown)\(more)",
                hint: "fix the first error first; the others often follow from it")
        case .failed(let message):
            return everyCheck("the build failed: \(message)", hint: "run `swift build` in the package root to see why")
        }
        var results: [CheckResult] = []
        for check in spec.checks {
            progress("checking \(check.name)...")
            results.append(await run(check, executable: executable))
        }
        return ExerciseGrade(
            lesson: spec.lesson, exercise: spec.id, title: spec.title, variant: variant.label,
            checks: results)
    }

    private func run(_ check: ExerciseCheck, executable: String) async -> CheckResult {
        switch await workspace.run(executable: executable, check: check.id, timeLimitSeconds: check.timeLimitSeconds) {
        case .timedOut(let seconds):
            return .failed(
                check.name, maxPoints: check.points,
                "your code did not finish within \(Int(seconds)) s and was stopped",
                hint: "look for a loop that never ends, or work done for every element of a large tensor")
        case .crashed(let status, let stderr):
            let detail = stderr.isEmpty ? "" : ":\n\(stderr)"
            let recognized = check.recognizeCrash(stderr).map { "\n\($0)" } ?? ""
            return .failed(
                check.name, maxPoints: check.points, "your code crashed (\(status))\(detail)\(recognized)",
                hint: "the first line of the message above names the cause; check shapes and indices")
        case .finished(let path):
            defer { try? FileManager.default.removeItem(atPath: path) }
            do {
                let output = try ExerciseOutput(path: path)
                if !output.notDone.isEmpty {
                    return CheckResult(
                        name: check.name, points: 0, maxPoints: check.points, status: .notDone,
                        diagnosis: "not done yet: \(output.notDone.joined(separator: ", ")) returned nil "
                            + "(its TODO is still open)",
                        hint: "replace the TODO with your code; `workbench hint` gives a first step")
                }
                return try check.evaluate(output, workspace.root)
            } catch {
                return .failed(
                    check.name, maxPoints: check.points, "the grader could not read the result: \(error)",
                    hint: "")
            }
        }
    }
}
