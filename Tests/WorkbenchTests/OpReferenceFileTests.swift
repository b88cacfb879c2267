import Foundation
import HDF5
import Testing
import Workbench

@Suite("Op reference files")
struct OpReferenceFileTests {
    @Test("a missing reference file is an error naming the path")
    func missingFile() {
        let path = "/nonexistent/ops.h5"
        #expect { try OpReferenceFile(path: path) } throws: { "\($0)".contains(path) }
    }

    @Test("a case without an op attribute, or with an unknown op, is reported with its path")
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
        }
        let references = try OpReferenceFile(path: path)
        #expect { try references.loadCase("no_op") } throws: { "\($0)".contains("'op'") && "\($0)".contains(path) }
        let unknown = try references.loadCase("unknown_op")
        #expect { try OpReplay.run(unknown) } throws: { "\($0)".contains("warp_drive") }
        let report = VerifyReport(file: references)
        #expect(!report.passed)
        #expect(report.errors.count == 2)
    }
}
