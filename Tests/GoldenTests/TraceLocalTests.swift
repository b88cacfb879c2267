import Foundation
import Golden
import HDF5
import Testing

/// Schema 2 traces: local checks (teacher-forced modules and backward, steps from PyTorch's state), declared
/// contents, "not informative" and near-ties - each shown on a copy of a committed trace changed in the test's
/// temporary folder with the package's HDF5 writer.
@Suite("Trace replay that cannot lie")
struct TraceLocalTests {
    static let folder = PackagePaths.file("Fixtures/references/traces")
    static let small = "\(folder)/resnet18_w2_s32_full_sgd.h5"

    /// Copies every group, dataset and attribute of `source` into a new file at `destination`, leaving out the
    /// datasets in `dropping` and letting `change` edit the copy (hard links become copies).
    static func copy(
        _ source: String, to destination: String, dropping: Set<String> = [],
        change: (HDF5Group) throws -> Void = { _ in }
    ) throws {
        let input = try HDF5File(path: source).root
        let output = try HDF5File(path: destination, mode: .create).root
        func walk(_ path: String) throws {
            let from = path.isEmpty ? input : try input.group(path)
            let to = path.isEmpty ? output : try output.group(path)
            for (key, value) in try from.attributes() { try to.setAttribute(key, value) }
            for name in try from.datasetNames() {
                let item = path.isEmpty ? name : "\(path)/\(name)"
                guard !dropping.contains(item) else { continue }
                if try input.info(item).elementType == .int64 {
                    try output.write(item, try input.read(item, as: Int64.self))
                } else {
                    try output.write(item, try input.read(item, as: Float.self))
                }
                for (key, value) in try input.attributes(of: item) { try output.setAttribute(key, value, on: item) }
            }
            for name in try from.groupNames() {
                let item = path.isEmpty ? name : "\(path)/\(name)"
                _ = try to.createGroup(name)
                try walk(item)
            }
        }
        try walk("")
        try change(output)
    }

    static func temporary(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(getpid())-\(UUID()).h5").path
    }

    @Test("a committed trace is schema 2, declares its contents, and its local checks pass")
    func localChecksPass() throws {
        let trace = try TraceFile(path: Self.small)
        #expect(trace.schemaVersion == 2 && trace.contents.count > 100)
        let report = try TraceReport(trace: trace)
        let local = report.checks.filter { $0.scope == .local }
        #expect(local.contains { $0.comparison.name.hasSuffix("fed PyTorch's input") })
        #expect(local.contains { $0.comparison.name.hasSuffix("from PyTorch's output gradient") })
        #expect(local.contains { $0.comparison.name.hasSuffix("one step from PyTorch's state") })
        #expect(report.passed, Comment(rawValue: report.summary()))
        #expect(report.count(.failed) == 0)
    }

    @Test("a declared dataset deleted from a schema 2 trace fails by name; schema 1 checks its gradients and steps")
    func missingDatasets() throws {
        let path = Self.temporary("trace-missing")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Self.copy(Self.small, to: path, dropping: ["steps/2/state/fc.weight", "grads/layer1.0.bn2.weight"])
        #expect { try TraceReport(trace: try TraceFile(path: path)) } throws: {
            "\($0)".contains(path) && "\($0)".contains("declared dataset(s) missing")
                && "\($0)".contains("grads/layer1.0.bn2.weight") && "\($0)".contains("steps/2/state/fc.weight")
        }
        try Self.copy(Self.small, to: path, dropping: ["steps/3/state/conv1.weight"]) { root in
            try root.setAttribute("schema_version", .int64(1))
        }
        #expect { try TraceReport(trace: try TraceFile(path: path)) } throws: {
            "\($0)".contains("steps/3/state/conv1.weight")
        }
        try Self.copy(Self.small, to: path) { root in try root.setAttribute("schema_version", .int64(3)) }
        #expect { try TraceFile(path: path) } throws: { "\($0)".contains("schema_version 3 is newer than the 2") }
    }

    @Test("a check whose tolerance grew beyond 1% of the value is 'not informative', never 'passed'")
    func notInformative() throws {
        let path = Self.temporary("trace-chaotic")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Self.copy(Self.small, to: path) { root in
            // As a chaotic run records it: PyTorch's own float32 run 10% away from its float64 twin.
            let loss = try root.read("steps/3/loss", as: Float.self).values[0]
            try root.setAttribute("float64_error", .float64(Double(loss) * 0.1), on: "steps/3/loss")
        }
        let original = try TraceReport(trace: try TraceFile(path: Self.small))
        let report = try TraceReport(trace: try TraceFile(path: path))
        let index = try #require(report.checks.firstIndex { $0.phase == "step 3" && $0.comparison.name == "loss" })
        #expect(original.verdicts[index] == .passed)
        #expect(report.checks[index].comparison.passed && report.verdicts[index] == .notInformative)
        let count = original.count(.notInformative) + 1
        #expect(report.count(.notInformative) == count && report.count(.passed) == original.count(.passed) - 1)
        #expect(report.summary().contains("\(count) not informative (tolerance beyond 1% of the value)"))
        let result = TraceReplay.result(report)
        #expect(result.notInformative.filter { $0 == "loss" }.count == 1 && result.passed)
    }

    @Test("a 0.1% error in a batch-norm weight gradient fails the local backward check")
    func wrongGradientFailsLocally() throws {
        let path = Self.temporary("trace-wrong-grad")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let item = "grads/layer2.0.bn1.weight"
        try Self.copy(Self.small, to: path) { root in
            let stored = try root.read(item, as: Float.self)
            try root.write(item, HDF5Array(shape: stored.shape, values: stored.values.map { $0 * 1.001 }))
            for (key, value) in try HDF5File(path: Self.small).root.attributes(of: item) {
                try root.setAttribute(key, value, on: item)
            }
        }
        let report = try TraceReport(trace: try TraceFile(path: path))
        let local = try #require(
            report.checks.first { $0.scope == .local && $0.comparison.name.hasPrefix("layer2.0.bn1.weight.grad") })
        #expect(!local.comparison.passed, Comment(rawValue: local.comparison.description))
        #expect(local.comparison.worstViolation > 2, "\(local.comparison.worstViolation) x tolerance")
        #expect(!report.passed)
    }

    @Test("a ReLU whose input sign flips against PyTorch's is reported as a near-tie with both margins")
    func nearTie() throws {
        let path = Self.temporary("trace-tie")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let item = "forward_inputs/002_relu"
        try Self.copy(Self.small, to: path) { root in
            var stored = try root.read(item, as: Float.self)
            let index = try #require(stored.values.firstIndex { $0 > 0 })
            stored.values[index] = -1e-7
            try root.write(item, stored)
        }
        let report = try TraceReport(trace: try TraceFile(path: path))
        let tie = try #require(report.nearTies.first)
        #expect(tie.location == "forward 002_relu (ReLU sign)" && tie.torchMargin == -1e-7 && tie.ourMargin > 0)
        #expect(report.summary().contains("near-tie: forward 002_relu (ReLU sign) element"))
    }

    @Test("a non-square trace with an odd batch replays (input_height x input_width)")
    func nonSquare() throws {
        let trace = try TraceFile(path: "\(Self.folder)/resnet18_w2_h24w40_full_sgd_b3.h5")
        #expect(trace.configuration.inputHeight == 24 && trace.configuration.inputWidth == 40)
        #expect(trace.configuration.batch == 3)
        let report = try TraceReport(trace: trace)
        #expect(report.passed, Comment(rawValue: report.summary()))
    }
}
