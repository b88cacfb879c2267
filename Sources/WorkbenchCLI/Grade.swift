import ArgumentParser
import Foundation
import Grading
import Lessons

/// `workbench grade [N|all]`: builds the exercise apart from the workbench, runs every check and reports.
struct Grade: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Grade an exercise (or all): points per check, what is wrong and why, and a hint.",
        discussion: """
            The exercise is built apart from the workbench (the first build compiles the engine for the \
            exercises, which takes a few minutes); each check runs in its own process under a time limit. \
            Standard output holds only the report; progress goes to standard error. Exits with status 1 when \
            any check is not at full marks.
            """)

    @OptionGroup var root: RootOption
    @Argument(help: "The lesson number or folder name, or `all`.") var lesson = "all"
    @Flag(help: "Grade the reference solution instead of your files.") var solution = false
    @Option(
        parsing: .upToNextOption, help: "Grade these files instead of the exercise's (matched by file name).",
        completion: .file(extensions: ["swift"]))
    var file: [String] = []
    @Option(help: "Report format.") var format: GradeReport.Format = .text

    func validate() throws {
        if solution && !file.isEmpty { throw ValidationError("--solution and --file exclude each other") }
        if !file.isEmpty && lesson == "all" { throw ValidationError("--file needs one lesson, not `all`") }
    }

    func run() async throws {
        let rootURL = try root.resolved()
        let lessons = lesson == "all" ? Lessons.all : [try lessonArgument(lesson)]
        var variant = ExerciseVariant.learner
        if solution { variant = .solution }
        if !file.isEmpty {
            var files: [String: String] = [:]
            for path in file {
                let url = URL(fileURLWithPath: path).standardizedFileURL
                guard FileManager.default.fileExists(atPath: url.path) else {
                    throw ValidationError("--file \(path): no such file")
                }
                guard lessons[0].exercise.files.contains(url.lastPathComponent) else {
                    throw ValidationError(
                        "--file \(path): lesson \(lessons[0].id)'s exercise files are "
                            + lessons[0].exercise.files.joined(separator: ", "))
                }
                files[url.lastPathComponent] = url.path
            }
            variant = .files(files)
        }
        let grader = Grader(root: rootURL)
        var grades: [ExerciseGrade] = []
        var progress = LearnerProgress.load(root: rootURL)
        for chosen in lessons {
            let grade = await grader.grade(chosen.exercise, variant: variant) { message in
                FileHandle.standardError.write(Data("\(message)\n".utf8))
            }
            grades.append(grade)
            if variant == .learner { progress.record(grade) }
        }
        if variant == .learner { try? progress.save(root: rootURL) }
        let report = GradeReport(grades)
        print(report.rendered(format))
        if !report.passed { throw ExitCode(1) }
    }
}

extension GradeReport.Format: ExpressibleByArgument {}
