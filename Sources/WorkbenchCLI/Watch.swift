import ArgumentParser
import Foundation
import Grading
import Lessons

/// `workbench watch`: re-grades the current exercise each time one of its files is saved (as rustlings does).
struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-build and re-grade an exercise every time you save it, with your progress across all lessons.",
        discussion: "Without a lesson it starts at the first exercise not at full marks. Ctrl-C stops.")

    @OptionGroup var root: RootOption
    @Argument(help: "The lesson number or folder name (default: the first not done).") var lesson: String?
    @Option(help: "Seconds between checks for a saved file.") var interval = 0.5

    func validate() throws {
        guard interval > 0 else { throw ValidationError("--interval must be positive, got \(interval)") }
    }

    func run() async throws {
        let rootURL = try root.resolved()
        var progress = LearnerProgress.load(root: rootURL)
        let chosen: Lesson
        if let lesson {
            chosen = try lessonArgument(lesson)
        } else {
            chosen =
                Lessons.all.first { lesson in
                    let entry = progress.exercises[lesson.exercise.id]
                    return !(entry?.graded ?? false) || (entry?.points ?? 0) < (entry?.maxPoints ?? 1)
                } ?? Lessons.all[0]
        }
        let files = chosen.exercise.files.map {
            rootURL.appendingPathComponent("\(chosen.exercise.exerciseFolder)/\($0)").path
        }
        let grader = Grader(root: rootURL)
        var lastSeen: [Date?] = []
        while true {
            let stamps = files.map { try? FileManager.default.attributesOfItem(atPath: $0)[.modificationDate] as? Date }
            if stamps != lastSeen {
                lastSeen = stamps
                print("\u{1B}[2J\u{1B}[H", terminator: "")
                let grade = await grader.grade(chosen.exercise) { message in
                    FileHandle.standardError.write(Data("\(message)\n".utf8))
                }
                progress.record(grade)
                try? progress.save(root: rootURL)
                print(GradeReport([grade]).text())
                print("")
                for lesson in Lessons.all {
                    print("  \(lesson.id): \(progress.summary(lesson.exercise.id))")
                }
                print("\nwatching \(files.joined(separator: ", ")) - save to re-grade, Ctrl-C to stop")
            }
            try await Task.sleep(for: .seconds(interval))
        }
    }
}
