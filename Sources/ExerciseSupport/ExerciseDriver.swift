import Foundation

/// The entry point of every exercise executable the grader builds: `EXERCISE CHECK OUTPUT.h5 ROOT`.
///
/// It runs the one check named `CHECK` (each check runs in its own process, with its own time limit, so a crash or
/// a hang in one check cannot take the others with it), lets it fill an ``ExerciseOutput``, and writes that to
/// `OUTPUT.h5`. Exit status: 0 written, 2 bad arguments, 3 the check threw (the error on standard error).
public enum ExerciseDriver {
    /// What a check can use: the package root's fixtures and the output to fill.
    public struct Context {
        public let root: URL
        public let output: ExerciseOutput

        /// `relativePath` under the package root, e.g. `Fixtures/models/resnet18_w12_digits_source.pth`.
        public func path(_ relativePath: String) -> String { root.appendingPathComponent(relativePath).path }
    }

    public static func main(_ checks: [String: (Context) throws -> Void]) -> Never {
        let arguments = CommandLine.arguments
        guard arguments.count == 4, let check = checks[arguments[1]] else {
            let known = checks.keys.sorted().joined(separator: ", ")
            FileHandle.standardError.write(
                Data("usage: \(arguments.first ?? "exercise") CHECK OUTPUT.h5 ROOT (checks: \(known))\n".utf8))
            exit(2)
        }
        let context = Context(root: URL(fileURLWithPath: arguments[3]), output: ExerciseOutput())
        do {
            try check(context)
            try context.output.write(to: arguments[2])
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            exit(3)
        }
        exit(0)
    }
}
