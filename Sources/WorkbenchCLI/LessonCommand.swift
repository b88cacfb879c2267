import ArgumentParser
import Foundation
import Lessons

/// `workbench lesson N`: runs a lesson's steps on the embedded model and data, each beside PyTorch's numbers.
struct LessonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lesson",
        abstract:
            "Run a lesson step by step: the PyTorch line, the Swift line, what it computes, and PyTorch's numbers.",
        discussion: "Lessons follow the post \"Transfer learning with PyTorch\"; `workbench lessons` lists them. "
            + "Exits with status 1 when any comparison with PyTorch fails.")

    @OptionGroup var root: RootOption
    @Argument(help: "The lesson: its number (1) or folder name (01-load).") var lesson: String
    @Flag(help: "Wait for Enter between steps (on a terminal).") var step = false

    func run() throws {
        let chosen = try lessonArgument(lesson)
        let passed = try LessonRunner.run(
            chosen, root: try root.resolved(),
            pause: {
                // Pausing needs someone to press Enter: with no terminal on standard input the steps just run.
                guard step, isatty(STDIN_FILENO) != 0 else { return }
                FileHandle.standardError.write(Data("  (Enter for the next step)".utf8))
                _ = readLine()
            }, print: { print($0) })
        if !passed { throw ExitCode(1) }
    }
}
