import ArgumentParser
import Foundation
import Golden
import Kernels
import Lessons

/// `workbench regress`: every stored PyTorch reference the package has, replayed in one summary.
struct Regress: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay every stored PyTorch reference (ops, optimizers, schedules, transforms, images, "
            + "checkpoints, traces, lessons) in one summary.",
        discussion: """
            Prints, per family, the cases and tensors (or exact checks) replayed, the worst error relative to its \
            tolerance and the failures with the first divergence of each, then the run's provenance (engine \
            commit, machine, CPU flags, BLAS core, threads) beside the references' (torch version, generator \
            arguments). A file recorded with another torch than Fixtures/requirements.txt pins is named in a \
            warning; a file with a newer schema fails. The replays are the ones the test suites call. Exits with \
            status 1 on any failure.
            """)

    @OptionGroup var root: RootOption
    @Option(help: "Report format.") var format: RegressionReport.Format = .text
    @Option(
        help: ArgumentHelp(
            "Only cases whose family/name contains this text.",
            discussion: "Families: \(Self.familyNames.joined(separator: ", ")); e.g. conv2d, optimizers/adam, "
                + "images/jpeg, traces/resnet50, lessons."))
    var filter: String?

    static let familyNames = [
        "ops", "optimizers", "schedulers", "transforms", "images", "checkpoints", "traces", "lessons",
    ]

    func run() throws {
        let rootURL = try root.resolved()
        var run = RegressionRun(root: rootURL, filter: filter)
        run.addStoredFamilies()
        run.add(family: "lessons", files: [LessonReferences.relativePath]) {
            Lessons.all.map { lesson in
                (
                    lesson.id,
                    {
                        var result = ReplayResult()
                        for comparison in try LessonRunner.comparisons(lesson, root: rootURL) {
                            result.append(comparison)
                        }
                        return result
                    }
                )
            }
        }
        guard !run.families.isEmpty else {
            throw ValidationError(
                "no stored reference matches --filter '\(filter ?? "")' (families: "
                    + "\(Self.familyNames.joined(separator: ", ")))")
        }
        let report = run.report(notReplayed: [
            "classification metrics (metrics.h5: swift test -c release --filter MetricsReferenceTests)",
            "data loader and ImageFolder (transforms.h5 /dataloader, Fixtures/testdata/imagefolder: VisionTests)",
        ])
        print(report.rendered(format))
        if !report.passed { throw ExitCode(1) }
    }
}

extension RegressionReport.Format: ExpressibleByArgument {}
