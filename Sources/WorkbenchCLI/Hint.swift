import ArgumentParser
import Foundation
import Lessons

/// `workbench hint N`: the next hint for an exercise (one more each time).
struct Hint: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the next hint for a lesson's exercise.")

    @OptionGroup var root: RootOption
    @Argument(help: "The lesson number or folder name.") var lesson: String

    func run() throws {
        let rootURL = try root.resolved()
        let chosen = try lessonArgument(lesson)
        var progress = LearnerProgress.load(root: rootURL)
        var entry = progress.exercises[chosen.exercise.id] ?? LearnerProgress.Entry()
        let hints = chosen.exercise.hints
        let index = min(entry.hintsShown, hints.count - 1)
        print("Hint \(index + 1) of \(hints.count) for \(chosen.exercise.exerciseFolder)/: \(hints[index])")
        if index == hints.count - 1 {
            print("(That was the last hint; `workbench grade \(chosen.number)` says what is still wrong.)")
        }
        entry.hintsShown = index + 1
        progress.exercises[chosen.exercise.id] = entry
        try? progress.save(root: rootURL)
    }
}
