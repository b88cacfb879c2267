import Optim
import Tensors
import Testing

/// `state_dict()` / `load_state_dict()` of the optimizers and schedulers: a copy of an optimizer restored from its
/// state continues exactly as the original, and a state that does not fit is refused by name.
@Suite("Optimizer and scheduler state dicts")
struct StateDictTests {
    /// Two parameters in two groups, with the same values each time.
    private func parameters() -> (Tensor, Tensor) {
        (
            Tensor(shape: [2, 3], values: [0.5, -1, 2, 0.25, 3, -0.75], requiresGrad: true),
            Tensor(shape: [3], values: [1, -2, 0.125], requiresGrad: true)
        )
    }

    /// Gradient `step` of a parameter with `count` elements: deterministic, different each step.
    private func gradient(_ shape: [Int], step: Int, salt: Float) -> Tensor {
        let count = shape.reduce(1, *)
        return Tensor(shape: shape, values: (0..<count).map { Float($0 + 1) * salt + Float(step) * 0.37 - 0.6 })
    }

    /// Steps `optimizer` over `(a, b)` for steps `range`; `b` gets no gradient at step 0, so it has no state then.
    private func run(_ optimizer: any Optimizer, _ a: Tensor, _ b: Tensor, steps range: Range<Int>) {
        for step in range {
            a.grad = gradient(a.shape, step: step, salt: 0.3)
            b.grad = step == 0 ? nil : gradient(b.shape, step: step, salt: -0.7)
            optimizer.step()
            optimizer.zeroGrad()
        }
    }

    /// Builds an optimizer, steps it 3 times, restores a fresh one from its state dict, and steps both 3 more
    /// times: every parameter must be identical.
    private func expectContinuesExactly(_ make: ([ParamGroup]) -> any Optimizer) throws {
        let (a, b) = parameters()
        let original = make([ParamGroup(params: [a], lr: 0.05), ParamGroup(params: [b])])
        run(original, a, b, steps: 0..<3)
        let saved = original.stateDict()
        let (c, d) = (a.copy(), b.copy())
        c.requiresGrad = true
        d.requiresGrad = true
        let restored = make([ParamGroup(params: [c], lr: 0.9), ParamGroup(params: [d])])
        try restored.loadStateDict(saved)
        #expect(restored.learningRates == original.learningRates)
        run(original, a, b, steps: 3..<6)
        run(restored, c, d, steps: 3..<6)
        #expect(c.toArray() == a.toArray() && d.toArray() == b.toArray())
        // The saved tensors are copies: stepping the original did not change them.
        let again = make([ParamGroup(params: [c.copy()]), ParamGroup(params: [d.copy()])])
        try again.loadStateDict(saved)
        #expect(again.stateDict().state[0]?.keys.sorted() == saved.state[0]?.keys.sorted())
    }

    @Test("SGD with momentum, Adam with AMSGrad and AdamW continue bit for bit from their state dicts")
    func continuesExactly() throws {
        try expectContinuesExactly { SGD(groups: $0, lr: 0.1, momentum: 0.9, weightDecay: 1e-3, nesterov: true) }
        try expectContinuesExactly { Adam(groups: $0, lr: 0.01, weightDecay: 1e-2, amsgrad: true) }
        try expectContinuesExactly { AdamW(groups: $0, lr: 0.01) }
    }

    @Test("the state dict numbers parameters across groups and names state and options as PyTorch does")
    func layout() throws {
        let (a, b) = parameters()
        let sgd = SGD(groups: [ParamGroup(params: [a]), ParamGroup(params: [b], lr: 0.5)], lr: 0.1, momentum: 0.9)
        a.grad = gradient(a.shape, step: 0, salt: 1)
        sgd.step()
        let state = sgd.stateDict()
        #expect(state.paramGroups.map(\.params) == [[0], [1]])
        #expect(state.paramGroups[1].options["lr"] == .number(0.5))
        #expect(state.paramGroups[0].options["nesterov"] == .flag(false))
        #expect(Array(state.state.keys) == [0])  // b had no gradient: no momentum buffer
        #expect(state.state[0]?["momentum_buffer"]?.toArray() == a.grad?.toArray())
        let adam = Adam(parameters: [a])
        adam.step()
        adam.step()
        #expect(adam.stateDict().state[0]?["step"]?.item() == 2)
        #expect(adam.stateDict().paramGroups[0].options["betas"] == .numbers([0.9, 0.999]))
    }

    @Test("a state for other groups, other shapes, or the other Adam is refused and changes nothing")
    func mismatches() throws {
        let (a, b) = parameters()
        let sgd = SGD(groups: [ParamGroup(params: [a]), ParamGroup(params: [b])], lr: 0.1, momentum: 0.9)
        a.grad = gradient(a.shape, step: 0, salt: 1)
        b.grad = gradient(b.shape, step: 0, salt: 1)
        sgd.step()
        let saved = sgd.stateDict()
        let oneGroup = SGD(parameters: [a, b], lr: 0.1, momentum: 0.9)
        #expect(throws: OptimizerStateError("loaded state dict has 2 parameter groups, the optimizer has 1")) {
            try oneGroup.loadStateDict(saved)
        }
        let swapped = SGD(groups: [ParamGroup(params: [b]), ParamGroup(params: [a])], lr: 0.3, momentum: 0.9)
        #expect { try swapped.loadStateDict(saved) } throws: { "\($0)".contains("has shape [2, 3], expected [3]") }
        #expect(swapped.learningRates == [0.3, 0.3] && swapped.momentumBuffer(for: a) == nil)
        let adam = Adam(parameters: [a])
        adam.step()
        #expect { try AdamW(parameters: [a]).loadStateDict(adam.stateDict()) } throws: {
            "\($0)" == "the state dict was saved by Adam, this optimizer is AdamW"
        }
        #expect { try Adam(parameters: [a]).loadStateDict(sgd.stateDict()) } throws: {
            "\($0)".contains("loaded state dict has 2 parameter groups")
        }
    }

    @Test("StepLR and CosineAnnealingLR continue from their state dicts, settings included (load_state_dict)")
    func schedulers() throws {
        for makeSchedule in [
            { (o: any Optimizer) -> any LRScheduler in StepLR(optimizer: o, stepSize: 2, gamma: 0.5) },
            { (o: any Optimizer) -> any LRScheduler in CosineAnnealingLR(optimizer: o, tMax: 5, etaMin: 0.001) },
        ] {
            let original = SGD(parameters: [parameters().0], lr: 0.1)
            let schedule = makeSchedule(original)
            for _ in 0..<3 { schedule.step() }
            let restored = SGD(parameters: [parameters().0], lr: 0.1)
            try restored.loadStateDict(original.stateDict())
            // Built with other settings: the saved ones win, as in PyTorch.
            let other: any LRScheduler =
                schedule is StepLR
                ? StepLR(optimizer: restored, stepSize: 9) : CosineAnnealingLR(optimizer: restored, tMax: 99)
            try other.loadStateDict(schedule.stateDict())
            #expect(other.lastEpoch == 3 && other.baseLRs == [0.1])
            for _ in 0..<4 {
                schedule.step()
                other.step()
                #expect(other.getLastLR() == schedule.getLastLR())
            }
            let twoGroups = SGD(groups: [ParamGroup(params: [parameters().0]), ParamGroup(params: [parameters().1])])
            #expect(throws: OptimizerStateError.self) {
                try StepLR(optimizer: twoGroups, stepSize: 1).loadStateDict(schedule.stateDict())
            }
        }
    }
}
