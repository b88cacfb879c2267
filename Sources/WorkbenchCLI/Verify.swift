import ArgumentParser
import Foundation
import Workbench

/// `workbench verify`: replays every stored PyTorch op reference and prints a case-by-case table.
struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay the stored PyTorch op references through this engine and compare, case by case.",
        discussion: "Exits with status 1 when any output, gradient or state differs beyond its tolerance.")

    @Option(name: .long, help: "The op reference file (HDF5).")
    var references: String = OpReferenceFile.defaultRelativePath

    @Option(name: .long, help: "Only cases whose name contains this text.")
    var filter: String?

    @Flag(name: .long, help: "Print only the per-op summary, not every tensor.")
    var summaryOnly = false

    func run() throws {
        guard FileManager.default.fileExists(atPath: references) else {
            throw ValidationError(
                "no op reference file at '\(references)': run from the package root or pass --references PATH")
        }
        let report = VerifyReport(file: try OpReferenceFile(path: references), filter: filter)
        if !summaryOnly { print(report.table(), terminator: "\n\n") }
        print(report.summary())
        for failure in report.failures { print(failure) }
        if !report.passed { throw ExitCode(1) }
    }
}
