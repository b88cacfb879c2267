import Foundation
import Golden
import HDF5
import Testing

/// Every stored whole-model PyTorch trace, replayed end to end.
@Suite("PyTorch model traces")
struct TraceTests {
    static let folder = PackagePaths.file("Fixtures/references/traces")
    static let traces: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { $0.hasSuffix(".h5") }.sorted()
    }()

    @Test("the committed trace set covers every model, size and configuration")
    func coverage() {
        for model in ["resnet18", "resnet34", "resnet50"] {
            for configuration in ["full", "frozen_train", "frozen_eval", "layer4_fc"] {
                for size in ["s32", "s64"] {
                    #expect(
                        Self.traces.contains { $0.hasPrefix(model) && $0.contains("_\(size)_\(configuration)_") },
                        "no trace for \(model) \(size) \(configuration) in \(Self.folder)")
                }
            }
        }
        #expect(Self.traces.contains { $0.contains("adam") })
        #expect(Self.traces.contains { $0.contains("nesterov") })
        #expect(Self.traces.contains { $0.contains("zero_init") })
    }

    @Test("trace replays within tolerance", arguments: traces)
    func replay(_ name: String) throws {
        let report = try TraceReport(trace: try TraceFile(path: "\(Self.folder)/\(name)"))
        let passed = report.passed
        #expect(passed, Comment(rawValue: report.summary()))
    }

    @Test("a trace with an unknown model, or missing and mis-shaped tensors, is refused naming the path")
    func badTraces() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bad-trace-\(getpid()).h5").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        func write(
            model: String, inputShape: [Int]?, target: Bool, targets: [Int64] = [0, 1], initSeed: Int64 = 0
        )
            throws
        {
            let file = try HDF5File(path: path, mode: .create)
            let attributes: [String: HDF5AttributeValue] = [
                "kind": .string("trace"), "model": .string(model), "base_width": .int64(2), "num_classes": .int64(3),
                "input_size": .int64(32), "batch": .int64(2), "configuration": .string("full"),
                "optimizer": .string("sgd"), "lr": .float64(0.1), "steps": .int64(1), "init_seed": .int64(initSeed),
            ]
            for (key, value) in attributes { try file.root.setAttribute(key, value) }
            if let inputShape {
                try file.root.write(
                    "input",
                    HDF5Array(shape: inputShape, values: [Float](repeating: 0.5, count: inputShape.reduce(1, *))))
            }
            if target { try file.root.write("target", HDF5Array(shape: [targets.count], values: targets)) }
        }
        try write(model: "resnet1000", inputShape: [2, 3, 32, 32], target: true)
        #expect { try TraceReport(trace: try TraceFile(path: path)) } throws: {
            "\($0)".contains(path) && "\($0)".contains("resnet1000")
        }
        try write(model: "resnet18", inputShape: [2, 3, 16, 16], target: true)
        #expect { try TraceReport(trace: try TraceFile(path: path)) } throws: {
            "\($0)".contains("'input'") && "\($0)".contains("[2, 3, 16, 16]")
        }
        try write(model: "resnet18", inputShape: [2, 3, 32, 32], target: false)
        #expect { try TraceReport(trace: try TraceFile(path: path)) } throws: { "\($0)".contains("'target'") }
        try write(model: "resnet18", inputShape: [2, 3, 32, 32], target: true)
        #expect { try TraceReport(trace: try TraceFile(path: path)) } throws: { "\($0)".contains("'forward'") }
        // Malformed metadata is a message naming the file and the value, never a trap.
        try write(model: "resnet18", inputShape: [2, 3, 32, 32], target: true, initSeed: -1)
        #expect { try TraceFile(path: path) } throws: {
            "\($0)".contains(path) && "\($0)".contains("'init_seed' is -1, expected at least 0")
        }
        try write(model: "resnet18", inputShape: [2, 3, 32, 32], target: true, targets: [0, 1, 2])
        #expect { try TraceReport(trace: try TraceFile(path: path)) } throws: {
            "\($0)".contains("3 targets for a batch of 2")
        }
        try write(model: "resnet18", inputShape: [2, 3, 32, 32], target: true, targets: [0, 7])
        #expect { try TraceReport(trace: try TraceFile(path: path)) } throws: {
            "\($0)".contains("target 7 is outside 0..<3")
        }
    }
}
