import Foundation
import Golden
import HDF5
import Testing

/// `workbench regress`'s collection over a package root: provenance and version warnings, a newer schema, a
/// truncated file and a missing family, each named. The files are copies of committed references, changed in the
/// test's own temporary root with the package's HDF5 writer.
@Suite("Regression run over a package root")
struct RegressionRunTests {
    static let packageRoot = PackagePaths.root(from: #filePath)

    /// A temporary package root holding `Fixtures/requirements.txt` and a copy of optim.h5, changed by `edit`.
    static func withRoot<T>(
        edit: (String) throws -> Void = { _ in }, _ body: (URL) throws -> T
    ) throws -> T {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("RegressionRunTests-\(UUID())")
        let references = root.appendingPathComponent("Fixtures/references")
        try FileManager.default.createDirectory(at: references, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        for file in ["Fixtures/requirements.txt", OptimReferenceFile.defaultRelativePath] {
            try FileManager.default.copyItem(
                at: packageRoot.appendingPathComponent(file), to: root.appendingPathComponent(file))
        }
        try edit(root.appendingPathComponent(OptimReferenceFile.defaultRelativePath).path)
        return try body(root)
    }

    @Test("the committed references replay with no warning, each file's provenance listed")
    func committedSchedules() throws {
        var run = RegressionRun(root: Self.packageRoot, filter: "schedulers")
        run.addStoredFamilies()
        let report = run.report(notReplayed: [])
        #expect(report.passed, Comment(rawValue: report.text()))
        #expect(report.families.map(\.name) == ["schedulers"])
        #expect(report.families[0].cases.count == 5 && report.families[0].warnings.isEmpty)
        #expect(report.references.count == 1 && report.references[0].contains("recorded with torch 2.15.0"))
    }

    @Test("a reference recorded with another torch is compared and says so, by file and version")
    func otherTorchVersion() throws {
        let report = try Self.withRoot(edit: { path in
            try HDF5File(path: path, mode: .readWrite).root.setAttribute("torch_version", .string("2.9.1+cpu"))
        }) { root in
            var run = RegressionRun(root: root, filter: "schedulers")
            run.addStoredFamilies()
            return run.report(notReplayed: [])
        }
        let family = try #require(report.families.first)
        #expect(family.name == "schedulers" && family.cases.count == 5 && report.passed)
        let warning = try #require(family.warnings.first)
        #expect(warning.contains("optim.h5 was recorded with torch 2.9.1+cpu, not the pinned 2.15.0"), "\(warning)")
        #expect(report.text().contains("WARNING schedulers: "), Comment(rawValue: report.text()))
        #expect(report.text().contains("1 provenance warning(s)"))
        let json = try JSONSerialization.jsonObject(with: Data(report.json().utf8)) as? [String: Any]
        let families = json?["families"] as? [[String: Any]]
        #expect((families?.first?["warnings"] as? [String])?.count == 1)
        #expect(report.junit().contains("<system-out>"))
    }

    @Test("a file from a newer schema fails its family by name instead of being half-read")
    func newerSchema() throws {
        let report = try Self.withRoot(edit: { path in
            try HDF5File(path: path, mode: .readWrite).root.setAttribute("schema_version", .int64(7))
        }) { root in
            var run = RegressionRun(root: root, filter: "optimizers")
            run.addStoredFamilies()
            return run.report(notReplayed: [])
        }
        #expect(!report.passed)
        let failure = try #require(report.families.first?.failures.first)
        #expect(failure.name == OptimReferenceFile.defaultRelativePath)
        #expect(
            failure.firstDivergence?.contains("optim.h5 has schema_version 7, newer than the 1 this engine reads")
                == true, "\(failure.firstDivergence ?? "")")
    }

    @Test("a truncated file and a missing family fail with the file's name, never a crash")
    func truncatedAndMissing() throws {
        let report = try Self.withRoot(edit: { path in
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            try data.prefix(data.count / 3).write(to: URL(fileURLWithPath: path))
        }) { root in
            var run = RegressionRun(root: root, filter: nil)
            run.addStoredFamilies()
            return run.report(notReplayed: [])
        }
        #expect(!report.passed)
        let optimizers = try #require(report.families.first { $0.name == "optimizers" })
        #expect(optimizers.failures.first?.firstDivergence?.contains("optim.h5") == true)
        let ops = try #require(report.families.first { $0.name == "ops" })
        #expect(
            ops.failures.first?.firstDivergence?.contains("ops.h5 is missing: the ops family cannot be replayed")
                == true, "\(ops.failures.first?.firstDivergence ?? "")")
    }
}
