import ArgumentParser
import Foundation
import Golden

/// `workbench verify`: replays every stored PyTorch op reference and prints a case-by-case table.
struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay the stored PyTorch op references through this engine and compare, case by case.",
        discussion: "Exits with status 1 when any output, gradient or state differs beyond its tolerance.")

    @OptionGroup var root: RootOption

    @Option(
        name: .long, help: "The op reference file (HDF5); default Fixtures/references/ops.h5 under the root.",
        completion: .file(extensions: ["h5"]))
    var references: String?

    @Option(name: .long, help: "Only cases whose name contains this text.")
    var filter: String?

    @Flag(name: .long, help: "Print only the per-op summary, not every tensor.")
    var summaryOnly = false

    func run() throws {
        let path = try references ?? root.path(OpReferenceFile.defaultRelativePath)
        guard FileManager.default.fileExists(atPath: path) else {
            throw ValidationError("no op reference file at '\(path)': pass --references PATH")
        }
        let report = VerifyReport(file: try OpReferenceFile(path: path), filter: filter)
        let provenance = ReferenceProvenance(path: path, attributes: report.file.provenance)
        print("\(path): \(provenance.summary)")
        if let warning = provenance.versionWarning(
            pinned: ReferenceProvenance.pinnedTorchVersion(root: try root.resolved()))
        {
            print(warning)
        }
        if !summaryOnly { print(report.table(), terminator: "\n\n") }
        print(report.summary())
        for failure in report.failures { print(failure) }
        if !report.passed { throw ExitCode(1) }
    }
}
