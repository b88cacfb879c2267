import ArgumentParser
import Foundation
import Golden
import Kernels
import Lessons

/// `workbench regress`: every stored PyTorch reference this command can replay, in one summary.
struct Regress: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay the stored PyTorch references (op cases, whole-model traces, lessons) in one summary.",
        discussion: """
            Prints, per family, the cases and tensors replayed, the worst error relative to its tolerance and the \
            failures with the first divergence of each, then the run's provenance (engine commit, machine, CPU \
            flags, BLAS core, threads) beside the references' (torch version, generator arguments). The optimizer, \
            transform, image and checkpoint references are replayed by the test suite only (listed in the output). \
            Exits with status 1 on any failure.
            """)

    @OptionGroup var root: RootOption
    @Option(help: "Report format.") var format: RegressionReport.Format = .text
    @Option(help: "Only cases whose family/name contains this text (e.g. conv2d, traces/resnet50, lessons).")
    var filter: String?

    func run() throws {
        let rootURL = try root.resolved()
        let pinned = ReferenceProvenance.pinnedTorchVersion(root: rootURL)
        var references: [String] = []
        func note(_ path: String) {
            guard let provenance = try? ReferenceProvenance(path: path) else {
                references.append("\(path): unreadable")
                return
            }
            references.append("\(relative(path, rootURL)): \(provenance.summary)")
            if let warning = provenance.versionWarning(pinned: pinned) { references.append(warning) }
        }
        func wanted(_ family: String, _ name: String) -> Bool {
            filter.map { "\(family)/\(name)".contains($0) } ?? true
        }

        var families: [RegressionReport.Family] = []
        let opsPath = rootURL.appendingPathComponent(OpReferenceFile.defaultRelativePath).path
        note(opsPath)
        var opCases: [RegressionReport.Case] = []
        do {
            let file = try OpReferenceFile(path: opsPath)
            for name in file.caseNames where wanted("ops", name) {
                do {
                    opCases.append(.init(name: name, comparisons: try OpReplay.run(try file.loadCase(name))))
                } catch {
                    opCases.append(.init(name: name, error: error))
                }
            }
        } catch {
            opCases.append(.init(name: relative(opsPath, rootURL), error: error))
        }
        families.append(.init(name: "ops", cases: opCases))

        let traceFolder = rootURL.appendingPathComponent("Fixtures/references/traces")
        let traceFiles = ((try? FileManager.default.contentsOfDirectory(atPath: traceFolder.path)) ?? [])
            .filter { $0.hasSuffix(".h5") }.sorted()
        var traceCases: [RegressionReport.Case] = []
        for name in traceFiles where wanted("traces", name) {
            let path = traceFolder.appendingPathComponent(name).path
            note(path)
            do {
                let report = try TraceReport(trace: try TraceFile(path: path))
                traceCases.append(.init(name: name, comparisons: report.checks.map(\.comparison)))
            } catch {
                traceCases.append(.init(name: name, error: error))
            }
        }
        families.append(.init(name: "traces", cases: traceCases))

        note(rootURL.appendingPathComponent(LessonReferences.relativePath).path)
        var lessonCases: [RegressionReport.Case] = []
        for lesson in Lessons.all where wanted("lessons", lesson.id) {
            do {
                lessonCases.append(
                    .init(name: lesson.id, comparisons: try LessonRunner.comparisons(lesson, root: rootURL)))
            } catch {
                lessonCases.append(.init(name: lesson.id, error: error))
            }
        }
        families.append(.init(name: "lessons", cases: lessonCases))

        guard families.contains(where: { !$0.cases.isEmpty }) else {
            throw ValidationError(
                "no stored reference matches --filter '\(filter ?? "")' (families: ops, traces, lessons)")
        }
        let report = RegressionReport(
            families: families.filter { !$0.cases.isEmpty }, run: Self.provenance(root: rootURL),
            references: references,
            notReplayed: [
                "optimizer and scheduler steps (optim.h5)", "transforms (transforms.h5)",
                "images (Fixtures/testdata/png)", "checkpoints (Fixtures/checkpoints)",
            ])
        print(report.rendered(format))
        if !report.passed { throw ExitCode(1) }
    }

    /// Engine commit, machine, CPU flags, BLAS core and threads of this run.
    static func provenance(root: URL) -> [(key: String, value: String)] { RunProvenance.current(root: root).entries }

    private func relative(_ path: String, _ root: URL) -> String {
        path.hasPrefix(root.path + "/") ? String(path.dropFirst(root.path.count + 1)) : path
    }
}

extension RegressionReport.Format: ExpressibleByArgument {}
