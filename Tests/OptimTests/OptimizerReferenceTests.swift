import Golden
import TestSupport
import Testing

/// Every recorded PyTorch optimizer run, replayed step by step by the library's `OptimizerReplay` (the replay
/// `workbench regress` runs): groups, parameters after each step, final state.
@Suite("PyTorch optimizer references")
struct OptimizerReferenceTests {
    @Test("the reference file holds optimizer cases")
    func caseCount() {
        #expect(OptimReferences.optimizerCaseNames.count >= 10, "\(OptimReferences.optimizerCaseNames)")
    }

    @Test("optimizer case matches PyTorch", arguments: OptimReferences.optimizerCaseNames)
    func optimizerCase(_ name: String) throws {
        let result = try OptimizerReplay.run(try OptimReferences.file.optimizerCase(name))
        #expect(result.count > 0)
        expectPassed(result)
    }
}
