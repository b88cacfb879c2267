import Foundation
import Golden
import HDF5
import Testing

@Suite("Op reference files")
struct OpReferenceFileTests {
    @Test("a missing reference file is an error naming the path")
    func missingFile() {
        let path = "/nonexistent/ops.h5"
        #expect { try OpReferenceFile(path: path) } throws: { "\($0)".contains(path) }
    }

    @Test("a case without an op attribute, with an unknown op or without float64_error, is reported with its path")
    func malformedCases() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bad-ops-\(getpid()).h5").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let file = try HDF5File(path: path, mode: .create)
            let noOp = try file.root.createGroup("cases/no_op")
            try noOp.write("inputs/input", HDF5Array(shape: [1], values: [Float(1)]))
            let unknown = try file.root.createGroup("cases/unknown_op")
            try unknown.setAttribute("op", .string("warp_drive"))
            try unknown.write("inputs/input", HDF5Array(shape: [1], values: [Float(1)]))
            try unknown.write("grad_output", HDF5Array(shape: [1], values: [Float(1)]))
            try unknown.write("outputs/output", HDF5Array(shape: [1], values: [Float(1)]))
            try unknown.setAttribute("float64_error", .float64(0), on: "outputs/output")
            try unknown.setAttribute("reduction_length", .int64(1), on: "outputs/output")
            let unmeasured = try file.root.createGroup("cases/relu_unmeasured")
            try unmeasured.setAttribute("op", .string("relu"))
            try unmeasured.write("inputs/input", HDF5Array(shape: [1], values: [Float(1)]))
            try unmeasured.write("grad_output", HDF5Array(shape: [1], values: [Float(1)]))
            try unmeasured.write("outputs/output", HDF5Array(shape: [1], values: [Float(1)]))
        }
        let references = try OpReferenceFile(path: path)
        #expect { try references.loadCase("no_op") } throws: { "\($0)".contains("'op'") && "\($0)".contains(path) }
        let unknown = try references.loadCase("unknown_op")
        #expect { try OpReplay.run(unknown) } throws: { "\($0)".contains("warp_drive") }
        // A tensor without PyTorch's recorded float64 error has no tolerance: it is an error, never a default.
        #expect { try references.loadCase("relu_unmeasured") } throws: {
            "\($0)".contains("relu_unmeasured/outputs/output") && "\($0)".contains("float64_error")
        }
        let report = VerifyReport(file: references)
        #expect(!report.passed)
        #expect(report.errors.count == 3)
    }
}

@Suite("Reference provenance")
struct ReferenceProvenanceTests {
    @Test("a reference recorded with another torch says so; the pinned one (with a local build tag) does not")
    func versionWarning() {
        let pinned = ReferenceProvenance.pinnedTorchVersion(root: PackagePaths.root(from: #filePath))
        #expect(pinned == "2.15.0")
        let same = ReferenceProvenance(path: "a.h5", attributes: ["torch_version": .string("2.15.0+cu132")])
        #expect(same.versionWarning(pinned: pinned) == nil)
        let other = ReferenceProvenance(path: "b.h5", attributes: ["torch_version": .string("2.9.1")])
        #expect(
            other.versionWarning(pinned: pinned)?.contains("b.h5 was recorded with torch 2.9.1, not the pinned 2.15.0")
                == true)
        let none = ReferenceProvenance(path: "c.h5", attributes: [:])
        #expect(none.versionWarning(pinned: pinned)?.contains("records no torch_version") == true)
    }

    @Test("every committed reference file was recorded with the pinned torch")
    func committedReferencesUseThePinnedTorch() throws {
        let root = PackagePaths.root(from: #filePath)
        let pinned = ReferenceProvenance.pinnedTorchVersion(root: root)
        let references = root.appendingPathComponent("Fixtures/references")
        var files = ["ops.h5", "optim.h5", "transforms.h5", "lessons.h5"].map {
            references.appendingPathComponent($0).path
        }
        let traces = references.appendingPathComponent("traces")
        files += try FileManager.default.contentsOfDirectory(atPath: traces.path).filter { $0.hasSuffix(".h5") }
            .map { traces.appendingPathComponent($0).path }
        for path in files {
            #expect(try ReferenceProvenance(path: path).versionWarning(pinned: pinned) == nil, "\(path)")
        }
    }
}
