import ArgumentParser
import Foundation
import Lessons

/// `workbench reset N`: restores a lesson's exercise files to their starting state.
struct Reset: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Restore a lesson's exercise files to their starting state (your edits are kept as .bak files).")

    @OptionGroup var root: RootOption
    @Argument(help: "The lesson number or folder name.") var lesson: String

    func run() throws {
        let rootURL = try root.resolved()
        let chosen = try lessonArgument(lesson)
        let manager = FileManager.default
        for name in chosen.exercise.files {
            let template = rootURL.appendingPathComponent("\(chosen.exercise.templateFolder)/\(name).start")
            let target = rootURL.appendingPathComponent("\(chosen.exercise.exerciseFolder)/\(name)")
            let start = try Data(contentsOf: template)
            if let current = try? Data(contentsOf: target), current != start {
                let backup = target.appendingPathExtension("bak")
                try? manager.removeItem(at: backup)
                try manager.copyItem(at: target, to: backup)
                print("kept your version as \(chosen.exercise.exerciseFolder)/\(name).bak")
            }
            try start.write(to: target, options: .atomic)
            print("restored \(chosen.exercise.exerciseFolder)/\(name)")
        }
    }
}
