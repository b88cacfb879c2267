import Foundation
import Golden
import Lessons
import Testing

/// Every lesson runs end to end on the embedded default model and data, and every number it prints matches
/// PyTorch's recorded value.
@Suite("Lessons run end to end")
struct LessonRunTests {
    static let root = PackagePaths.root(from: #filePath)

    @Test("the lesson runs and every comparison with PyTorch passes", arguments: Lessons.all.map(\.id))
    func lessonRuns(_ id: String) throws {
        var printed: [String] = []
        let passed = try LessonRunner.run(try Lessons.named(id), root: Self.root) { printed.append($0) }
        #expect(
            passed,
            Comment(
                rawValue: printed.filter { $0.contains("FAIL") || $0.contains("DIFFERENT") }
                    .joined(separator: "\n")))
        #expect(printed.contains { $0.hasPrefix("Step 1/") })
    }

    @Test(
        "each exercise file is its template (the starting state `workbench reset` restores)",
        arguments: Lessons.all.map(\.id))
    func exerciseStartsAtItsTemplate(_ id: String) throws {
        let exercise = try Lessons.named(id).exercise
        for name in exercise.files {
            let file = Self.root.appendingPathComponent("\(exercise.exerciseFolder)/\(name)")
            let template = Self.root.appendingPathComponent("\(exercise.templateFolder)/\(name).start")
            #expect(
                try Data(contentsOf: file) == Data(contentsOf: template), "\(file.path) differs from \(template.path)")
        }
    }

    @Test("every lesson folder has a README, an exercise, a solution and a driver", arguments: Lessons.all.map(\.id))
    func lessonFolderIsComplete(_ id: String) throws {
        let exercise = try Lessons.named(id).exercise
        var paths = ["Lessons/\(id)/README.md", exercise.driverFile]
        for name in exercise.files {
            paths += ["\(exercise.exerciseFolder)/\(name)", "\(exercise.solutionFolder)/\(name)"]
        }
        for path in paths {
            #expect(
                FileManager.default.fileExists(atPath: Self.root.appendingPathComponent(path).path), "\(path) missing")
        }
        #expect(!exercise.hints.isEmpty && !exercise.checks.isEmpty)
    }
}

@Suite("Lesson references")
struct LessonReferenceErrorTests {
    @Test("a missing reference file, or a missing key in it, is an error naming the file and the key")
    func missingFileAndKey() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("no-lessons-\(getpid())")
        #expect { try LessonReferences(root: empty) } throws: {
            "\($0)".contains(empty.appendingPathComponent(LessonReferences.relativePath).path)
                && "\($0)".contains("missing")
        }
        let references = try LessonReferences(root: LessonRunTests.root)
        #expect { try references.tensor("01-load/no_such_tensor") } throws: {
            "\($0)".contains("lessons.h5") && "\($0)".contains("01-load/no_such_tensor")
        }
        #expect { try references.text("no_such_attribute", of: "01-load") } throws: {
            "\($0)".contains("01-load@no_such_attribute")
        }
    }
}
