import Golden
import Tensors
import Testing

/// Every stored PyTorch op case, forward and backward, through the shared comparison.
@Suite("PyTorch op references")
struct OpReferenceTests {
    @Test("op case matches PyTorch", arguments: References.ops.caseNames)
    func opCase(_ name: String) throws {
        for comparison in try OpReplay.run(try References.ops.loadCase(name)) {
            #expect(comparison.passed, Comment(rawValue: comparison.description))
        }
    }

    @Test("the reference file covers every op of a torchvision ResNet")
    func coverage() throws {
        let ops = Set(try References.ops.caseNames.map { try References.ops.loadCase($0).op })
        let needed: Set = [
            "conv2d", "batch_norm", "relu", "max_pool2d", "adaptive_avg_pool2d", "linear", "add",
            "flatten", "log_softmax", "softmax", "cross_entropy",
        ]
        #expect(needed.isSubset(of: ops), "missing references for \(needed.subtracting(ops).sorted())")
    }

    @Test("the reference file records its provenance")
    func provenance() {
        let attributes = References.ops.provenance
        for key in ["torch_version", "seed", "generator", "generator_args", "schema_version"] {
            #expect(attributes[key] != nil, "root attribute \(key) missing from \(References.opsPath)")
        }
    }
}
