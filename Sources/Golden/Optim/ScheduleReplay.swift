import Optim
import Tensors

/// Replays one recorded PyTorch learning-rate schedule (`/schedulers/<name>` of optim.h5) epoch by epoch over an
/// SGD optimizer (`torch.optim.lr_scheduler.StepLR` / `CosineAnnealingLR`) and compares every epoch's rates.
public enum ScheduleReplay {
    /// Learning rates are doubles computed with the same formulas in the same order; float32 is precise enough to
    /// check them to 1e-6 relative, and an absolute 1e-12 accepts the recursive cosine's not-quite-zero troughs.
    public static let learningRateTolerance = Tolerance(
        absolute: 1e-12, relative: 1e-6,
        reason: "schedules computed in double, compared to 1e-6 relative (an absolute 1e-5 would hide lr 1e-4)")

    public static func run(_ file: OptimReferenceFile, _ name: String) throws -> ReplayResult {
        let node = try file.group("schedulers/\(name)")
        let attributes = try AttributeReader(node)
        let baseLRs = try attributes.doubles("base_lrs")
        let expected = try node.read("lrs", as: Double.self)
        let epochs = try attributes.int("epochs")
        guard epochs >= 1, expected.shape == [epochs + 1, baseLRs.count] else {
            throw OptimReferenceError.malformed(
                source: attributes.source,
                detail: "lrs has shape \(expected.shape), expected \([epochs + 1, baseLRs.count]) (epochs \(epochs))")
        }
        let optimizer = SGD(groups: baseLRs.map { ParamGroup(params: [Tensor(0)], lr: $0) })
        let scheduler: any LRScheduler
        switch try attributes.string("scheduler") {
        case "step_lr":
            scheduler = StepLR(
                optimizer: optimizer, stepSize: try attributes.int("step_size"),
                gamma: try attributes.requiredDouble("gamma"))
        case "cosine_annealing_lr":
            scheduler = CosineAnnealingLR(
                optimizer: optimizer, tMax: try attributes.int("t_max"),
                etaMin: try attributes.requiredDouble("eta_min"))
        case let other:
            throw OptimReferenceError.malformed(source: attributes.source, detail: "unknown scheduler '\(other)'")
        }
        var result = ReplayResult()
        var actual = scheduler.getLastLR()
        result.expectEqual(scheduler.lastEpoch, 0, "\(name) last_epoch before any step")
        for epoch in 1...epochs {
            optimizer.step()
            scheduler.step()
            result.expectEqual(scheduler.lastEpoch, epoch, "\(name) last_epoch")
            result.expectEqual(scheduler.getLastLR(), optimizer.learningRates, "\(name) get_last_lr() vs the groups")
            actual += scheduler.getLastLR()
        }
        result.expectEqual(scheduler.baseLRs, baseLRs, "\(name) base_lrs")
        result.expectEqual(optimizer.initialLearningRates, baseLRs, "\(name) initial_lr")
        result.append(
            TensorComparison(
                name: "\(name) lrs", actual: actual.map { Float($0) }, actualShape: [epochs + 1, baseLRs.count],
                expected: expected.values.map { Float($0) }, expectedShape: expected.shape,
                tolerance: learningRateTolerance))
        return result
    }
}
