import Foundation

/// The grades of one or more exercises, in the three shapes the grader prints: text for a person, Gradescope's
/// `results.json` for autograders and tools, JUnit XML for CI.
public struct GradeReport: Sendable {
    public enum Format: String, CaseIterable, Sendable {
        case text, json, junit
    }

    public let exercises: [ExerciseGrade]

    public init(_ exercises: [ExerciseGrade]) { self.exercises = exercises }

    public var points: Double { exercises.reduce(0) { $0 + $1.points } }
    public var maxPoints: Double { exercises.reduce(0) { $0 + $1.maxPoints } }
    /// Every check of every exercise at full marks.
    public var passed: Bool { !exercises.isEmpty && exercises.allSatisfy(\.passed) }

    public func rendered(_ format: Format) -> String {
        switch format {
        case .text: return text()
        case .json: return gradescopeJSON()
        case .junit: return junitXML()
        }
    }

    /// Per exercise, per check: points, status, diagnosis and hint; then the honest total.
    public func text() -> String {
        var lines: [String] = []
        for exercise in exercises {
            lines.append("Lesson \(exercise.exercise): \(exercise.title) (\(exercise.variant))")
            for check in exercise.checks {
                let mark: String
                switch check.status {
                case .passed: mark = "PASS"
                case .partial: mark = "PART"
                case .failed: mark = "FAIL"
                case .notDone: mark = "TODO"
                }
                lines.append("  [\(mark)] \(check.name): \(points(check.points))/\(points(check.maxPoints))")
                for line in check.diagnosis.split(separator: "\n", omittingEmptySubsequences: false) {
                    lines.append("         \(line)")
                }
                if !check.hint.isEmpty { lines.append("         hint: \(check.hint)") }
            }
            lines.append("  score: \(points(exercise.points))/\(points(exercise.maxPoints))")
            lines.append("")
        }
        let failing = exercises.flatMap(\.checks).filter { !$0.isFullMarks }.count
        let total = exercises.flatMap(\.checks).count
        lines.append(
            "total: \(points(points))/\(points(maxPoints)) - "
                + (failing == 0
                    ? "all \(total) checks at full marks" : "\(failing) of \(total) checks not at full marks"))
        return lines.joined(separator: "\n")
    }

    /// Gradescope's results.json: `score`, `max_score`, and `tests[]` with name, score, max_score, status, output.
    public func gradescopeJSON() -> String {
        var tests: [[String: Any]] = []
        for exercise in exercises {
            for check in exercise.checks {
                var output = check.diagnosis
                if !check.hint.isEmpty { output += "\nhint: \(check.hint)" }
                tests.append([
                    "name": "\(exercise.exercise): \(check.name)", "score": check.points,
                    "max_score": check.maxPoints, "status": check.isFullMarks ? "passed" : "failed",
                    "output": output,
                ])
            }
        }
        let object: [String: Any] = ["score": points, "max_score": maxPoints, "tests": tests]
        let data =
            (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// JUnit XML: one testsuite per exercise, one testcase per check, a `<failure>` unless at full marks.
    public func junitXML() -> String {
        var lines = ["<?xml version=\"1.0\" encoding=\"UTF-8\"?>"]
        let checks = exercises.flatMap(\.checks)
        lines.append(
            "<testsuites name=\"workbench grade\" tests=\"\(checks.count)\" "
                + "failures=\"\(checks.filter { !$0.isFullMarks }.count)\">")
        for exercise in exercises {
            let failures = exercise.checks.filter { !$0.isFullMarks }.count
            lines.append(
                "  <testsuite name=\"\(xml(exercise.exercise))\" tests=\"\(exercise.checks.count)\" "
                    + "failures=\"\(failures)\">")
            for check in exercise.checks {
                let name = "\(xml(check.name)) (\(points(check.points))/\(points(check.maxPoints)))"
                if check.isFullMarks {
                    lines.append("    <testcase classname=\"\(xml(exercise.exercise))\" name=\"\(name)\"/>")
                } else {
                    var body = check.diagnosis
                    if !check.hint.isEmpty { body += "\nhint: \(check.hint)" }
                    lines.append("    <testcase classname=\"\(xml(exercise.exercise))\" name=\"\(name)\">")
                    lines.append("      <failure message=\"\(xml(check.status.rawValue))\">\(xml(body))</failure>")
                    lines.append("    </testcase>")
                }
            }
            lines.append("  </testsuite>")
        }
        lines.append("</testsuites>")
        return lines.joined(separator: "\n")
    }

    private func points(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
    }

    private func xml(_ text: String) -> String {
        var escaped = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&apos;"
            case "\n", "\t": escaped.unicodeScalars.append(scalar)
            default:
                // XML 1.0 allows no other control characters, even escaped.
                escaped += scalar.value < 0x20 ? "?" : String(scalar)
            }
        }
        return escaped
    }
}
