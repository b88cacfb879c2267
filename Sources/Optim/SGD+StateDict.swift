import Tensors

extension SGD {
    /// The momentum buffers (`state[i]["momentum_buffer"]`) and each group's `lr`, `momentum`, `dampening`,
    /// `weight_decay`, `nesterov`, `maximize` and `initial_lr` (`SGD.state_dict()`).
    public func stateDict() -> OptimizerStateDict {
        var state: [Int: [String: Tensor]] = [:]
        var groups: [OptimizerStateDict.Group] = []
        var position = 0
        for group in paramGroups {
            var options: [String: OptimizerOption] = [
                "lr": .number(group.lr), "momentum": .number(group.momentum),
                "dampening": .number(group.dampening), "weight_decay": .number(group.weightDecay),
                "nesterov": .flag(group.nesterov), "maximize": .flag(group.maximize),
            ]
            if let initial = group.initialLR { options["initial_lr"] = .number(initial) }
            groups.append(.init(params: Array(position..<position + group.params.count), options: options))
            for parameter in group.params {
                if let buffer = momentumBuffers[ObjectIdentifier(parameter)] {
                    state[position] = ["momentum_buffer": buffer.copy()]
                }
                position += 1
            }
        }
        return OptimizerStateDict(state: state, paramGroups: groups)
    }

    /// Restores the momentum buffers and the groups' hyperparameters (`SGD.load_state_dict`); parameters without
    /// a saved buffer start a new one at their next step, as in PyTorch.
    public func loadStateDict(_ stateDict: OptimizerStateDict) throws {
        let parameters = try stateDict.validate(against: paramGroups.map(\.params), allowed: ["momentum_buffer"])
        var groups = paramGroups
        for (index, saved) in stateDict.paramGroups.enumerated() {
            let options = saved.options
            let current = groups[index]
            groups[index].lr = try OptimizerStateDict.number(options, "lr", else: current.lr)
            groups[index].momentum = try OptimizerStateDict.number(options, "momentum", else: current.momentum)
            groups[index].dampening = try OptimizerStateDict.number(options, "dampening", else: current.dampening)
            groups[index].weightDecay = try OptimizerStateDict.number(
                options, "weight_decay", else: current.weightDecay)
            groups[index].nesterov = try OptimizerStateDict.flag(options, "nesterov", else: current.nesterov)
            groups[index].maximize = try OptimizerStateDict.flag(options, "maximize", else: current.maximize)
            groups[index].initialLR = try OptimizerStateDict.optionalNumber(
                options, "initial_lr", else: current.initialLR)
        }
        var buffers: [ObjectIdentifier: Tensor] = [:]
        for (position, tensors) in stateDict.state {
            if let buffer = tensors["momentum_buffer"] {
                buffers[ObjectIdentifier(parameters[position])] = buffer.copy()
            }
        }
        paramGroups = groups
        momentumBuffers = buffers
    }
}
