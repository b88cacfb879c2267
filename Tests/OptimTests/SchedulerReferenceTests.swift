import Golden
import Optim
import Tensors
import Testing

/// Every recorded PyTorch learning-rate schedule, replayed epoch by epoch over an SGD optimizer.
@Suite("PyTorch schedule references")
struct SchedulerReferenceTests {
    /// Learning rates are doubles computed with the same formulas in the same order; float32 is precise enough to
    /// check them to 1e-6 relative, and an absolute 1e-12 accepts the recursive cosine's not-quite-zero troughs.
    static let learningRateTolerance = Tolerance(
        absolute: 1e-12, relative: 1e-6,
        reason: "schedules computed in double, compared to 1e-6 relative (an absolute 1e-5 would hide lr 1e-4)")

    @Test("schedule case matches PyTorch", arguments: OptimReferences.scheduleCaseNames)
    func scheduleCase(_ name: String) throws {
        let node = try OptimReferences.file.root.group("schedulers/\(name)")
        let attributes = try AttributeReader(node)
        let baseLRs = try attributes.doubles("base_lrs")
        let expected = try node.read("lrs", as: Double.self)
        let epochs = try attributes.int("epochs")
        try #require(expected.shape == [epochs + 1, baseLRs.count])
        let optimizer = SGD(groups: baseLRs.map { ParamGroup(params: [Tensor(0)], lr: $0) })
        let scheduler: any LRScheduler
        switch try attributes.string("scheduler") {
        case "step_lr":
            scheduler = StepLR(
                optimizer: optimizer, stepSize: try attributes.int("step_size"),
                gamma: try #require(try attributes.double("gamma")))
        default:
            scheduler = CosineAnnealingLR(
                optimizer: optimizer, tMax: try attributes.int("t_max"),
                etaMin: try #require(try attributes.double("eta_min")))
        }
        var actual = scheduler.getLastLR()
        #expect(scheduler.lastEpoch == 0)
        for epoch in 1...epochs {
            optimizer.step()
            scheduler.step()
            #expect(scheduler.lastEpoch == epoch)
            #expect(scheduler.getLastLR() == optimizer.learningRates)
            actual += scheduler.getLastLR()
        }
        #expect(scheduler.baseLRs == baseLRs)
        #expect(optimizer.initialLearningRates == baseLRs)
        let comparison = TensorComparison(
            name: "\(name) lrs", actual: actual.map { Float($0) }, actualShape: [epochs + 1, baseLRs.count],
            expected: expected.values.map { Float($0) }, expectedShape: expected.shape,
            tolerance: Self.learningRateTolerance)
        #expect(comparison.passed, Comment(rawValue: comparison.description))
    }

    @Test("the reference file records its provenance")
    func provenance() throws {
        let attributes = try AttributeReader(OptimReferences.file.root)
        for key in ["torch_version", "seed", "generator", "generator_args", "schema_version"] {
            #expect(attributes.keys.contains(key), "root attribute \(key) missing from \(OptimReferences.path)")
        }
    }
}
