import Foundation
import Golden
import Grading

/// One lesson of the post "Transfer learning with PyTorch": its runnable steps and its exercise.
public struct Lesson {
    /// 1-based, as `workbench lesson N` takes it.
    public let number: Int
    /// The folder under Lessons/, e.g. `01-load`.
    public let id: String
    public let title: String
    /// The post's step this lesson follows, in a sentence.
    public let summary: String
    public let steps: [Step]
    public let exercise: ExerciseSpec

    public init(number: Int, id: String, title: String, summary: String, steps: [Step], exercise: ExerciseSpec) {
        self.number = number
        self.id = id
        self.title = title
        self.summary = summary
        self.steps = steps
        self.exercise = exercise
    }
}

/// One step of a lesson: the PyTorch line it mirrors, our Swift line, and what running it on the embedded model and
/// data computes, compared with what PyTorch recorded for the same step.
public struct Step {
    public let title: String
    public let pytorch: String
    public let swift: String
    public let run: (LessonContext) throws -> StepOutcome

    public init(title: String, pytorch: String, swift: String, run: @escaping (LessonContext) throws -> StepOutcome) {
        self.title = title
        self.pytorch = pytorch
        self.swift = swift
        self.run = run
    }
}

/// What a step computed: lines to show the learner, and every comparison with PyTorch's stored values.
public struct StepOutcome {
    public var lines: [String]
    public var comparisons: [TensorComparison]

    public init(lines: [String] = [], comparisons: [TensorComparison] = []) {
        self.lines = lines
        self.comparisons = comparisons
    }

    public var passed: Bool { comparisons.allSatisfy(\.passed) }
}

/// What the steps of a lesson share: the package root, the embedded fixtures and PyTorch's recorded values.
public final class LessonContext {
    public let root: URL
    public let references: LessonReferences
    /// Values one step leaves for the next (the model, the preprocessed input), by name.
    public var state: [String: Any] = [:]

    public init(root: URL) throws {
        self.root = root
        references = try LessonReferences(root: root)
    }

    /// `relativePath` under the package root.
    public func path(_ relativePath: String) -> String { root.appendingPathComponent(relativePath).path }

    /// A value an earlier step stored, or an error naming the step that should have.
    public func value<T>(_ name: String, as type: T.Type = T.self) throws -> T {
        guard let value = state[name] as? T else { throw LessonError.missingState(name) }
        return value
    }
}

public enum LessonError: Error, CustomStringConvertible {
    case missingState(String)
    case unknownLesson(String)

    public var description: String {
        switch self {
        case .missingState(let name): return "an earlier step did not leave '\(name)' (run the steps in order)"
        case .unknownLesson(let name):
            return "no lesson '\(name)': use a number from 1 to \(Lessons.all.count) (`workbench lessons` lists them)"
        }
    }
}
