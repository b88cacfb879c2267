import Golden
import TestSupport
import Testing

/// Every recorded PyTorch learning-rate schedule, replayed epoch by epoch by the library's `ScheduleReplay`.
@Suite("PyTorch schedule references")
struct SchedulerReferenceTests {
    @Test("schedule case matches PyTorch", arguments: OptimReferences.scheduleCaseNames)
    func scheduleCase(_ name: String) throws {
        let result = try ScheduleReplay.run(OptimReferences.file, name)
        #expect(result.count > 0)
        expectPassed(result)
    }

    @Test("the reference file records its provenance")
    func provenance() throws {
        let attributes = try OptimReferences.file.rootAttributes()
        for key in ["torch_version", "seed", "generator", "generator_args", "schema_version"] {
            #expect(attributes.keys.contains(key), "root attribute \(key) missing from \(OptimReferences.path)")
        }
    }
}
