import Foundation
import Grading

/// What a learner has done so far, per exercise: the last grade and how many hints were shown. Kept in
/// `Lessons/.progress.json` (ignored by git), written atomically.
public struct LearnerProgress: Codable {
    public struct Entry: Codable {
        public var points: Double = 0
        public var maxPoints: Double = 0
        public var hintsShown: Int = 0
        public var graded = false

        public init() {}
    }

    public var exercises: [String: Entry] = [:]

    public static func path(root: URL) -> URL { root.appendingPathComponent("Lessons/.progress.json") }

    /// The saved progress, or empty progress when there is none or it is unreadable.
    public static func load(root: URL) -> LearnerProgress {
        guard let data = try? Data(contentsOf: path(root: root)),
            let progress = try? JSONDecoder().decode(LearnerProgress.self, from: data)
        else { return LearnerProgress() }
        return progress
    }

    public func save(root: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: Self.path(root: root), options: .atomic)
    }

    /// Records a grade of the learner's own files.
    public mutating func record(_ grade: ExerciseGrade) {
        var entry = exercises[grade.exercise] ?? Entry()
        entry.points = grade.points
        entry.maxPoints = grade.maxPoints
        entry.graded = true
        exercises[grade.exercise] = entry
    }

    /// `12/20 points` or `not graded yet`.
    public func summary(_ exercise: String) -> String {
        guard let entry = exercises[exercise], entry.graded else { return "not graded yet" }
        let done = entry.points >= entry.maxPoints ? " - done" : ""
        return "\(Int(entry.points))/\(Int(entry.maxPoints)) points\(done)"
    }
}
