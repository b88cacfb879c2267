import Tensors

/// An optimizer: parameter groups with their hyperparameters, per-parameter state, and a ``step()`` that updates
/// every parameter from its gradient (`torch.optim.Optimizer`, torch/optim/optimizer.py).
///
/// ```swift
/// let optimizer = SGD(parameters: model.trainableParameters(), lr: 0.01, momentum: 0.9)
/// for result in loader {
///     let batch = try result.get()
///     optimizer.zeroGrad()
///     crossEntropy(model(batch.images), target: batch.labels).backward()
///     optimizer.step()
/// }
/// ```
public protocol Optimizer: AnyObject {
    /// The group type this optimizer keeps: its parameters and every hyperparameter, defaults filled in.
    associatedtype Group: OptimizerGroup

    /// The parameter groups, in the order they were given (`optimizer.param_groups`). Change a group's
    /// hyperparameters here between steps, e.g. `paramGroups[0].lr = 1e-4`.
    var paramGroups: [Group] { get set }

    /// Adds a group of parameters with its own hyperparameters; options it leaves `nil` come from the optimizer's
    /// defaults (`add_param_group`). Use it to unfreeze layers part-way through fine-tuning.
    ///
    /// - Precondition: the parameters are leaves, appear once in the group and in no other group.
    func addParamGroup(_ group: ParamGroup)

    /// Updates every parameter that has a gradient, group by group (`optimizer.step()`). Parameters whose
    /// ``Tensor/grad`` is `nil` are skipped entirely: they keep their values and get no state.
    func step()

    /// The per-parameter state and each group's hyperparameters, copied (`optimizer.state_dict()`).
    func stateDict() -> OptimizerStateDict

    /// Replaces the state and the groups' hyperparameters with `stateDict`'s, for an optimizer built over the same
    /// parameters in the same groups (`optimizer.load_state_dict(state_dict)`).
    ///
    /// - Throws: ``OptimizerStateError`` when the groups, their sizes or a tensor's shape differ; nothing changes.
    func loadStateDict(_ stateDict: OptimizerStateDict) throws
}

/// A parameter group as an optimizer keeps it: the parameters, the learning rate and the other hyperparameters
/// of one optimizer type (a `param_groups` entry).
public protocol OptimizerGroup {
    /// The tensors this group updates, in the order given.
    var params: [Tensor] { get }
    /// The learning rate (`group["lr"]`), changed by the schedulers.
    var lr: Double { get set }
    /// The learning rate when the first scheduler was attached (`group["initial_lr"]`), `nil` before that.
    var initialLR: Double? { get set }
}

extension Optimizer {
    /// Forgets every parameter's gradient: sets ``Tensor/grad`` to `nil` (`zero_grad(set_to_none=True)`), so
    /// that the next backward pass starts afresh and parameters it does not reach are skipped by ``step()``.
    public func zeroGrad() {
        for group in paramGroups {
            for parameter in group.params { parameter.grad = nil }
        }
    }

    /// Every group's learning rate, in group order; setting it assigns them all (what schedulers do).
    public var learningRates: [Double] {
        get { paramGroups.map(\.lr) }
        set {
            require(
                newValue.count == paramGroups.count,
                "\(newValue.count) learning rates for \(paramGroups.count) parameter groups")
            for index in paramGroups.indices { paramGroups[index].lr = newValue[index] }
        }
    }

    /// The number of parameter groups.
    public var paramGroupCount: Int { paramGroups.count }

    /// Every group's initial learning rate (`initial_lr`), `nil` for groups no scheduler has seen yet.
    public var initialLearningRates: [Double?] {
        get { paramGroups.map(\.initialLR) }
        set {
            require(
                newValue.count == paramGroups.count,
                "\(newValue.count) initial learning rates for \(paramGroups.count) parameter groups")
            for index in paramGroups.indices { paramGroups[index].initialLR = newValue[index] }
        }
    }

    /// Checks what `add_param_group` checks before a new group joins `paramGroups`.
    func validateNewGroup(_ params: [Tensor], optimizer: String) {
        for (index, parameter) in params.enumerated() {
            require(
                parameter.isLeaf,
                "\(optimizer): can't optimize a non-leaf Tensor (parameter \(index) of the new group, "
                    + "shape \(parameter.shape), gradFn \(parameter.gradFnName ?? "none"))")
        }
        let identities = params.map(ObjectIdentifier.init)
        require(
            Set(identities).count == identities.count,
            "\(optimizer): a parameter group holds the same parameter twice "
                + "(PyTorch warns and would update it twice, see pytorch/pytorch#40967)")
        let existing = Set(paramGroups.flatMap { $0.params.map(ObjectIdentifier.init) })
        require(
            existing.isDisjoint(with: identities),
            "\(optimizer): some parameters appear in more than one parameter group")
    }
}
