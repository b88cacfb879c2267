import Optim
import Tensors
import Testing

/// Optimizer behaviour beyond the recorded runs: defaults, groups, zeroGrad, state identity, training with
/// autograd, and the inputs PyTorch refuses.
@Suite("Optimizers")
struct OptimizerTests {
    private func parameter(_ values: [Float]) -> Tensor {
        Tensor(shape: [values.count], values: values, requiresGrad: true)
    }

    @Test("defaults are PyTorch's: lr 1e-3, betas (0.9, 0.999), eps 1e-8, AdamW weight decay 1e-2")
    func defaults() {
        let sgd = SGD(parameters: [parameter([1])]).defaults
        #expect(sgd.lr == 1e-3 && sgd.momentum == 0 && sgd.dampening == 0 && sgd.weightDecay == 0)
        #expect(!sgd.nesterov && !sgd.maximize)
        let adam = Adam(parameters: [parameter([1])]).defaults
        #expect(adam.lr == 1e-3 && adam.betas == (0.9, 0.999) && adam.eps == 1e-8 && adam.weightDecay == 0)
        #expect(!adam.amsgrad && !adam.maximize && !adam.decoupledWeightDecay)
        let adamW = AdamW(parameters: [parameter([1])]).defaults
        #expect(adamW.weightDecay == 1e-2 && adamW.decoupledWeightDecay)
    }

    @Test("a group added later (unfreezing) takes the optimizer's defaults and is stepped")
    func addParamGroup() {
        let head = parameter([1, 2])
        let backbone = parameter([3])
        let optimizer = SGD(parameters: [head], lr: 0.5, momentum: 0.9)
        optimizer.addParamGroup(ParamGroup(params: [backbone], lr: 0.1))
        #expect(optimizer.paramGroups.count == 2)
        #expect(optimizer.paramGroups[1].momentum == 0.9 && optimizer.paramGroups[1].lr == 0.1)
        backbone.grad = Tensor(shape: [1], values: [1])
        optimizer.step()
        #expect(backbone.toArray() == [Float(3) - Float(0.1)])
        #expect(head.toArray() == [1, 2])
    }

    @Test("zeroGrad sets every gradient of every group to nil")
    func zeroGrad() {
        let (a, b) = (parameter([1]), parameter([2]))
        let optimizer = Adam(groups: [ParamGroup(params: [a]), ParamGroup(params: [b], lr: 0.1)])
        a.grad = Tensor(shape: [1], values: [1])
        b.grad = Tensor(shape: [1], values: [1])
        optimizer.zeroGrad()
        #expect(a.grad == nil && b.grad == nil)
    }

    @Test("state tensors are created once and updated in place")
    func stateIsUpdatedInPlace() throws {
        let p = parameter([1, 2, 3])
        let sgd = SGD(parameters: [p], lr: 0.1, momentum: 0.9)
        p.grad = Tensor(shape: [3], values: [1, 1, 1])
        sgd.step()
        let buffer = try #require(sgd.momentumBuffer(for: p))
        sgd.step()
        #expect(sgd.momentumBuffer(for: p) === buffer)
        #expect(buffer.toArray() == [Float(1.9), Float(1.9), Float(1.9)])

        let q = parameter([1, 2])
        let adam = Adam(parameters: [q], amsgrad: true)
        q.grad = Tensor(shape: [2], values: [1, -1])
        adam.step()
        let first = try #require(adam.state(for: q))
        adam.step()
        let second = try #require(adam.state(for: q))
        #expect(second.step == 2 && second.expAvg === first.expAvg && second.maxExpAvgSq === first.maxExpAvgSq)
        #expect(Adam(parameters: [parameter([1])]).state(for: q) == nil)
    }

    @Test("SGD with momentum and Adam minimise a quadratic through autograd", arguments: ["sgd", "adam", "adamw"])
    func trainsQuadratic(_ kind: String) {
        let target = Tensor(shape: [3], values: [1, -2, 0.5])
        let w = parameter([0, 0, 0])
        let optimizer: any Optimizer =
            switch kind {
            case "sgd": SGD(parameters: [w], lr: 0.1, momentum: 0.9)
            case "adam": Adam(parameters: [w], lr: 0.1)
            default: AdamW(parameters: [w], lr: 0.1, weightDecay: 0)
            }
        for _ in 0..<200 {
            optimizer.zeroGrad()
            let difference = w - target
            (difference * difference).sum().backward()
            optimizer.step()
        }
        for (value, goal) in zip(w.toArray(), target.toArray()) {
            #expect(abs(value - goal) < 1e-2, "\(kind): \(w) did not reach \(target)")
        }
    }

    @Test("PyTorch's refusals: bad hyperparameters, Nesterov without momentum, shared or non-leaf parameters")
    func refusals() async {
        await #expect(processExitsWith: .failure) { _ = SGD(parameters: [Tensor(0)], lr: -1) }
        await #expect(processExitsWith: .failure) { _ = SGD(parameters: [Tensor(0)], nesterov: true) }
        await #expect(processExitsWith: .failure) {
            _ = SGD(parameters: [Tensor(0)], momentum: 0.9, dampening: 0.1, nesterov: true)
        }
        await #expect(processExitsWith: .failure) { _ = Adam(parameters: [Tensor(0)], betas: (1, 0.999)) }
        await #expect(processExitsWith: .failure) { _ = AdamW(parameters: []) }
        await #expect(processExitsWith: .failure) {
            let shared = Tensor(0)
            _ = SGD(groups: [ParamGroup(params: [shared]), ParamGroup(params: [shared])])
        }
        await #expect(processExitsWith: .failure) {
            let leaf = Tensor(shape: [2], values: [1, 2], requiresGrad: true)
            _ = Adam(parameters: [leaf * 2])
        }
    }
}
