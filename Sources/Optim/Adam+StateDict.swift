import Tensors

extension Adam {
    /// Each parameter's `step` (a 0-d tensor, as PyTorch keeps it), `exp_avg`, `exp_avg_sq` and, with AMSGrad,
    /// `max_exp_avg_sq`; each group's `lr`, `betas`, `eps`, `weight_decay`, `amsgrad`, `maximize`,
    /// `decoupled_weight_decay` and `initial_lr` (`Adam.state_dict()`, `AdamW.state_dict()`).
    public func stateDict() -> OptimizerStateDict {
        var state: [Int: [String: Tensor]] = [:]
        var groups: [OptimizerStateDict.Group] = []
        var position = 0
        for group in paramGroups {
            var options: [String: OptimizerOption] = [
                "lr": .number(group.lr), "betas": .numbers([group.betas.0, group.betas.1]),
                "eps": .number(group.eps), "weight_decay": .number(group.weightDecay),
                "amsgrad": .flag(group.amsgrad), "maximize": .flag(group.maximize),
                "decoupled_weight_decay": .flag(group.decoupledWeightDecay),
            ]
            if let initial = group.initialLR { options["initial_lr"] = .number(initial) }
            groups.append(.init(params: Array(position..<position + group.params.count), options: options))
            for parameter in group.params {
                if let saved = states[ObjectIdentifier(parameter)] {
                    var tensors = [
                        "step": Tensor(Float(saved.step)), "exp_avg": saved.expAvg.copy(),
                        "exp_avg_sq": saved.expAvgSq.copy(),
                    ]
                    if let maximum = saved.maxExpAvgSq { tensors["max_exp_avg_sq"] = maximum.copy() }
                    state[position] = tensors
                }
                position += 1
            }
        }
        return OptimizerStateDict(state: state, paramGroups: groups)
    }

    /// Restores every parameter's step count and moments and the groups' hyperparameters (`Adam.load_state_dict`).
    /// A state dict saved by the other of Adam and AdamW is refused, since their weight decays differ.
    public func loadStateDict(_ stateDict: OptimizerStateDict) throws {
        let parameters = try stateDict.validate(
            against: paramGroups.map(\.params), allowed: ["step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"],
            scalar: ["step"])
        var groups = paramGroups
        for (index, saved) in stateDict.paramGroups.enumerated() {
            let options = saved.options
            let current = groups[index]
            let decoupled = try OptimizerStateDict.flag(
                options, "decoupled_weight_decay", else: current.decoupledWeightDecay)
            guard decoupled == current.decoupledWeightDecay else {
                throw OptimizerStateError(
                    "the state dict was saved by \(decoupled ? "AdamW" : "Adam"), "
                        + "this optimizer is \(current.decoupledWeightDecay ? "AdamW" : "Adam")")
            }
            groups[index].lr = try OptimizerStateDict.number(options, "lr", else: current.lr)
            if case let .numbers(betas)? = options["betas"], betas.count == 2 {
                groups[index].betas = (betas[0], betas[1])
            } else if options["betas"] != nil {
                throw OptimizerStateError("parameter group option \"betas\" is not two numbers")
            }
            groups[index].eps = try OptimizerStateDict.number(options, "eps", else: current.eps)
            groups[index].weightDecay = try OptimizerStateDict.number(
                options, "weight_decay", else: current.weightDecay)
            groups[index].amsgrad = try OptimizerStateDict.flag(options, "amsgrad", else: current.amsgrad)
            groups[index].maximize = try OptimizerStateDict.flag(options, "maximize", else: current.maximize)
            groups[index].initialLR = try OptimizerStateDict.optionalNumber(
                options, "initial_lr", else: current.initialLR)
        }
        var restored: [ObjectIdentifier: ParamState] = [:]
        for (position, tensors) in stateDict.state {
            guard let step = tensors["step"], let expAvg = tensors["exp_avg"], let expAvgSq = tensors["exp_avg_sq"]
            else {
                throw OptimizerStateError("state of parameter \(position) lacks step, exp_avg or exp_avg_sq")
            }
            let count = step.item()
            guard count >= 1, count == count.rounded(), count < 0x1p24 else {
                throw OptimizerStateError("state of parameter \(position): step \(count) is not a positive count")
            }
            restored[ObjectIdentifier(parameters[position])] = ParamState(
                step: Int(count), expAvg: expAvg.copy(), expAvgSq: expAvgSq.copy(),
                maxExpAvgSq: tensors["max_exp_avg_sq"]?.copy())
        }
        paramGroups = groups
        states = restored
    }
}
