import Foundation
import Golden
import Grading
import Lessons
import Testing

/// The grader on every exercise: solutions score full marks, untouched exercises score zero on every check
/// without a crash, and each recorded mistake (a mutated solution under Mutants/<lesson>/<mistake>/) gets the
/// partial credit and the diagnosis its expected.json names.
@Suite("Grading", .serialized)
struct GradingTests {
    static let root = PackagePaths.root(from: #filePath)
    static let grader = Grader(root: root)

    @Test("the reference solution scores full marks", arguments: Lessons.all.map(\.id))
    func solutionScoresFullMarks(_ id: String) async throws {
        let grade = await Self.grader.grade(try Lessons.named(id).exercise, variant: .solution)
        #expect(grade.passed, Comment(rawValue: GradeReport([grade]).text()))
    }

    @Test("the untouched exercise scores zero, as not done, on every check", arguments: Lessons.all.map(\.id))
    func untouchedScoresZero(_ id: String) async throws {
        let grade = await Self.grader.grade(try Lessons.named(id).exercise, variant: .learner)
        for check in grade.checks {
            #expect(check.points == 0 && check.status == .notDone, Comment(rawValue: GradeReport([grade]).text()))
        }
    }

    @Test("a check that hangs is stopped at its time limit and fails with a message; the others still run")
    func hangIsStopped() async throws {
        let exercise = try Lessons.named("01-load").exercise
        let limited = ExerciseSpec(
            lesson: exercise.lesson, id: exercise.id, title: exercise.title, files: exercise.files,
            checks: exercise.checks.map { check in
                ExerciseCheck(
                    id: check.id, name: check.name, points: check.points, timeLimitSeconds: 3,
                    recognizeCrash: check.recognizeCrash, evaluate: check.evaluate)
            }, hints: exercise.hints)
        let file = Self.root.appendingPathComponent("Tests/LessonsTests/Hangs/Preprocess.swift").path
        let start = Date()
        let grade = await Self.grader.grade(limited, variant: .files(["Preprocess.swift": file]))
        let report = GradeReport([grade]).text()
        #expect(Date().timeIntervalSince(start) < 120, "the grader itself must not hang")
        #expect(grade.checks[0].isFullMarks, Comment(rawValue: report))
        #expect(
            grade.checks[1].points == 0 && grade.checks[1].diagnosis.contains("did not finish within 3 s"),
            Comment(rawValue: report))
    }

    /// One mutated solution: its folder, with the exercise's files and expected.json.
    struct Mutant: CustomStringConvertible, Sendable {
        let lesson: String
        let name: String
        var folder: URL { GradingTests.root.appendingPathComponent("Tests/LessonsTests/Mutants/\(lesson)/\(name)") }
        var description: String { "\(lesson)/\(name)" }
    }

    static let mutants: [Mutant] = Lessons.all.flatMap { lesson -> [Mutant] in
        let folder = root.appendingPathComponent("Tests/LessonsTests/Mutants/\(lesson.id)")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.sorted().map { Mutant(lesson: lesson.id, name: $0) }
    }

    /// expected.json:
    /// `{"checks": {"<check name>": {"points": 2, "status": "partial", "diagnosis": "text it contains"}}}`.
    struct Expectation: Decodable {
        struct CheckExpectation: Decodable {
            let points: Double
            let status: String
            let diagnosis: String
        }
        let checks: [String: CheckExpectation]
    }

    @Test("a recorded mistake gets its partial credit and diagnosis", arguments: mutants)
    func mistakeIsRecognised(_ mutant: Mutant) async throws {
        let exercise = try Lessons.named(mutant.lesson).exercise
        let expectation = try JSONDecoder().decode(
            Expectation.self, from: Data(contentsOf: mutant.folder.appendingPathComponent("expected.json")))
        var files: [String: String] = [:]
        for name in exercise.files
        where FileManager.default.fileExists(atPath: mutant.folder.appendingPathComponent(name).path) {
            files[name] = mutant.folder.appendingPathComponent(name).path
        }
        #expect(!files.isEmpty, "\(mutant) holds none of \(exercise.files)")
        let grade = await Self.grader.grade(exercise, variant: .files(files))
        let report = GradeReport([grade]).text()
        #expect(!grade.passed, Comment(rawValue: report))
        for (name, expected) in expectation.checks {
            guard let check = grade.checks.first(where: { $0.name == name }) else {
                Issue.record("\(mutant): no check named '\(name)'")
                continue
            }
            #expect(check.points == expected.points, Comment(rawValue: report))
            #expect(check.status.rawValue == expected.status, Comment(rawValue: report))
            #expect(check.diagnosis.contains(expected.diagnosis), Comment(rawValue: report))
        }
    }
}
