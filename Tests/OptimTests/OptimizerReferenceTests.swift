import Golden
import Optim
import Tensors
import TestSupport
import Testing

/// Every recorded PyTorch optimizer run, replayed step by step: groups, parameters after each step, final state.
@Suite("PyTorch optimizer references")
struct OptimizerReferenceTests {
    @Test("optimizer case matches PyTorch", arguments: OptimReferences.optimizerCaseNames)
    func optimizerCase(_ name: String) throws {
        let reference = try OptimizerCase(name: name)
        let tensors = reference.params.map {
            Tensor(
                shape: $0.initial.shape, values: $0.initial.toArray(),
                requiresGrad: true)
        }
        let optimizer = try reference.makeOptimizer(over: tensors)
        try expectResolvedGroups(optimizer, reference, tensors)
        for step in 0..<reference.steps {
            for (tensor, param) in zip(tensors, reference.params) { tensor.grad = param.grads[step] }
            optimizer.step()
            for (index, tensor) in tensors.enumerated() {
                expectClose(tensor, reference.params[index].values[step], "\(name) p\(index) after step \(step + 1)")
            }
        }
        expectState(optimizer, reference, tensors)
    }

    /// The groups hold the same parameters and hyperparameters as torch's `param_groups`.
    private func expectResolvedGroups(
        _ optimizer: any Optimizer, _ reference: OptimizerCase,
        _ tensors: [Tensor]
    ) throws {
        let name = reference.name
        let identity = { (index: Int) in ObjectIdentifier(tensors[index]) }
        if let sgd = optimizer as? SGD {
            try #require(sgd.paramGroups.count == reference.groups.count)
            for (group, expected) in zip(sgd.paramGroups, reference.groups) {
                let torch = expected.resolved
                #expect(group.params.map(ObjectIdentifier.init) == expected.params.map(identity))
                #expect(group.lr == (try torch.double("lr")), "\(name) lr")
                #expect(group.momentum == (try torch.double("momentum")), "\(name) momentum")
                #expect(group.dampening == (try torch.double("dampening")), "\(name) dampening")
                #expect(group.weightDecay == (try torch.double("weight_decay")), "\(name) weight_decay")
                #expect(group.nesterov == (try torch.flag("nesterov")), "\(name) nesterov")
                #expect(group.maximize == (try torch.flag("maximize")), "\(name) maximize")
            }
        } else {
            let adam = try #require(optimizer as? Adam)
            try #require(adam.paramGroups.count == reference.groups.count)
            for (group, expected) in zip(adam.paramGroups, reference.groups) {
                let torch = expected.resolved
                let betas = try #require(try torch.betas())
                #expect(group.params.map(ObjectIdentifier.init) == expected.params.map(identity))
                #expect(group.lr == (try torch.double("lr")), "\(name) lr")
                #expect(group.betas == betas, "\(name) betas")
                #expect(group.eps == (try torch.double("eps")), "\(name) eps")
                #expect(group.weightDecay == (try torch.double("weight_decay")), "\(name) weight_decay")
                #expect(group.amsgrad == (try torch.flag("amsgrad")), "\(name) amsgrad")
                #expect(group.maximize == (try torch.flag("maximize")), "\(name) maximize")
                #expect(group.decoupledWeightDecay == (try torch.flag("decoupled_weight_decay")), "\(name) decoupled")
            }
        }
    }

    /// Each parameter's state matches torch's after the last step, and parameters torch kept no state for have
    /// none.
    private func expectState(_ optimizer: any Optimizer, _ reference: OptimizerCase, _ tensors: [Tensor]) {
        for (index, tensor) in tensors.enumerated() {
            let label = "\(reference.name) state of p\(index)"
            let expected = reference.state[index]
            if let sgd = optimizer as? SGD {
                let buffer = sgd.momentumBuffer(for: tensor)
                #expect((buffer == nil) == (expected == nil), "\(label): momentum buffer presence")
                if let buffer, let torch = expected?.tensors["momentum_buffer"] {
                    expectClose(buffer, torch, "\(label) momentum_buffer")
                }
            } else if let adam = optimizer as? Adam {
                let state = adam.state(for: tensor)
                #expect((state == nil) == (expected == nil), "\(label): presence")
                guard let state, let expected else { continue }
                #expect(state.step == expected.step, "\(label) step")
                #expect(
                    (state.maxExpAvgSq == nil) == (expected.tensors["max_exp_avg_sq"] == nil),
                    "\(label): max_exp_avg_sq presence")
                let pairs = [
                    ("exp_avg", state.expAvg), ("exp_avg_sq", state.expAvgSq),
                    ("max_exp_avg_sq", state.maxExpAvgSq),
                ]
                for (key, actual) in pairs {
                    if let actual, let torch = expected.tensors[key] { expectClose(actual, torch, "\(label) \(key)") }
                }
            }
        }
    }
}
