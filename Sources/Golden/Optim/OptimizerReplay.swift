import Optim
import Tensors

/// Replays one recorded PyTorch optimizer run (``OptimizerCase``) step by step: the same initial parameters and
/// gradients through this engine's optimizer, then the resolved groups, the parameters after every step and the
/// state after the last, compared with torch's (`torch.optim.SGD` / `Adam` / `AdamW`).
public enum OptimizerReplay {
    /// Parameters and state are one update away from values torch computed in the same float32 order.
    public static let tolerance = Tolerance.float32

    public static func run(_ reference: OptimizerCase) throws -> ReplayResult {
        let tensors = reference.params.map {
            Tensor(shape: $0.initial.shape, values: $0.initial.toArray(), requiresGrad: true)
        }
        let optimizer = try reference.makeOptimizer(over: tensors)
        var result = ReplayResult()
        try checkResolvedGroups(optimizer, reference, tensors, into: &result)
        for step in 0..<reference.steps {
            for (tensor, param) in zip(tensors, reference.params) { tensor.grad = param.grads[step] }
            optimizer.step()
            for (index, tensor) in tensors.enumerated() {
                result.compare(
                    "\(reference.name) p\(index) after step \(step + 1)", tensor, reference.params[index].values[step],
                    tolerance: tolerance)
            }
        }
        checkState(optimizer, reference, tensors, into: &result)
        return result
    }

    /// The groups hold the same parameters and hyperparameters as torch's `param_groups`.
    static func checkResolvedGroups(
        _ optimizer: any Optimizer, _ reference: OptimizerCase, _ tensors: [Tensor], into result: inout ReplayResult
    ) throws {
        let name = reference.name
        let identity = { (index: Int) in ObjectIdentifier(tensors[index]) }
        if let sgd = optimizer as? SGD {
            result.expectEqual(sgd.paramGroups.count, reference.groups.count, "\(name) number of groups")
            for (group, expected) in zip(sgd.paramGroups, reference.groups) {
                let torch = expected.resolved
                result.check(
                    group.params.map(ObjectIdentifier.init) == expected.params.map(identity),
                    "\(name): a group holds other parameters than torch's \(expected.params)")
                result.expectEqual(group.lr, try torch.double("lr"), "\(name) lr")
                result.expectEqual(group.momentum, try torch.double("momentum"), "\(name) momentum")
                result.expectEqual(group.dampening, try torch.double("dampening"), "\(name) dampening")
                result.expectEqual(group.weightDecay, try torch.double("weight_decay"), "\(name) weight_decay")
                result.expectEqual(group.nesterov, try torch.flag("nesterov"), "\(name) nesterov")
                result.expectEqual(group.maximize, try torch.flag("maximize"), "\(name) maximize")
            }
        } else if let adam = optimizer as? Adam {
            result.expectEqual(adam.paramGroups.count, reference.groups.count, "\(name) number of groups")
            for (group, expected) in zip(adam.paramGroups, reference.groups) {
                let torch = expected.resolved
                guard let betas = try torch.betas() else {
                    throw OptimReferenceError.missingAttribute(source: torch.source, name: "betas")
                }
                result.check(
                    group.params.map(ObjectIdentifier.init) == expected.params.map(identity),
                    "\(name): a group holds other parameters than torch's \(expected.params)")
                result.expectEqual(group.lr, try torch.double("lr"), "\(name) lr")
                result.check(group.betas == betas, "\(name) betas: \(group.betas), expected \(betas)")
                result.expectEqual(group.eps, try torch.double("eps"), "\(name) eps")
                result.expectEqual(group.weightDecay, try torch.double("weight_decay"), "\(name) weight_decay")
                result.expectEqual(group.amsgrad, try torch.flag("amsgrad"), "\(name) amsgrad")
                result.expectEqual(group.maximize, try torch.flag("maximize"), "\(name) maximize")
                result.expectEqual(
                    group.decoupledWeightDecay, try torch.flag("decoupled_weight_decay"), "\(name) decoupled")
            }
        } else {
            result.check(false, "\(name): this engine built \(type(of: optimizer)), not SGD or Adam")
        }
    }

    /// Each parameter's state matches torch's after the last step, and parameters torch kept no state for have
    /// none.
    static func checkState(
        _ optimizer: any Optimizer, _ reference: OptimizerCase, _ tensors: [Tensor], into result: inout ReplayResult
    ) {
        for (index, tensor) in tensors.enumerated() {
            let label = "\(reference.name) state of p\(index)"
            let expected = reference.state[index]
            if let sgd = optimizer as? SGD {
                let buffer = sgd.momentumBuffer(for: tensor)
                result.expectEqual(buffer != nil, expected != nil, "\(label): momentum buffer present")
                if let buffer, let torch = expected?.tensors["momentum_buffer"] {
                    result.compare("\(label) momentum_buffer", buffer, torch, tolerance: tolerance)
                }
            } else if let adam = optimizer as? Adam {
                let state = adam.state(for: tensor)
                result.expectEqual(state != nil, expected != nil, "\(label): state present")
                guard let state, let expected else { continue }
                result.expectEqual(state.step, expected.step, "\(label) step")
                result.expectEqual(
                    state.maxExpAvgSq != nil, expected.tensors["max_exp_avg_sq"] != nil,
                    "\(label): max_exp_avg_sq present")
                let pairs = [
                    ("exp_avg", state.expAvg), ("exp_avg_sq", state.expAvgSq), ("max_exp_avg_sq", state.maxExpAvgSq),
                ]
                for (key, actual) in pairs {
                    if let actual, let torch = expected.tensors[key] {
                        result.compare("\(label) \(key)", actual, torch, tolerance: tolerance)
                    }
                }
            }
        }
    }
}
