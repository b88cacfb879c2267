import ArgumentParser
import Foundation
import Lessons

/// `workbench lessons`: the lessons with the learner's progress on each exercise.
struct LessonsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lessons", abstract: "List the lessons and your progress on their exercises.")

    @OptionGroup var root: RootOption

    func run() throws {
        let progress = LearnerProgress.load(root: try root.resolved())
        for lesson in Lessons.all {
            let number = String(format: "%2d", lesson.number)
            print("\(number)  \(lesson.id.padding(toLength: 18, withPad: " ", startingAt: 0))\(lesson.title)")
            print("    exercise: \(lesson.exercise.exerciseFolder)/ - \(progress.summary(lesson.exercise.id))")
        }
        print("")
        print("Run a lesson: workbench lesson 1. Grade your exercise: workbench grade 1. Stuck? workbench hint 1.")
    }
}
