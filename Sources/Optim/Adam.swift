import Tensors

/// Adam with bias-corrected moment estimates, optional L2 weight decay, AMSGrad and maximization
/// (`torch.optim.Adam`, torch/optim/adam.py, `_single_tensor_adam` without `capturable` or `differentiable`).
///
/// For every parameter `p` whose gradient is not `nil`, group by group, with `t` the parameter's own step count
/// (elementwise in float32, bias corrections in double):
///
/// ```
/// t = t + 1
/// g = maximize ? -p.grad : p.grad
/// if weightDecay != 0 { decoupled ? (p = p * (1 - lr * weightDecay)) : (g = g + weightDecay * p) }
/// m = lerp(m, g, 1 - beta1)                      // beta1 * m + (1 - beta1) * g
/// v = beta2 * v + (1 - beta2) * g * g
/// if amsgrad { vMax = maximum(vMax, v) }         // then vMax replaces v below
/// p = p - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
/// ```
///
/// A parameter without a gradient is skipped: its step count does not advance and it gets no state. Its state
/// (`m`, `v`, `vMax`) is created as zeros at its first step. PyTorch's vectorised CPU kernels fuse some
/// multiply-adds (FMA) and round square roots to within one unit in the last place, where these loops round every
/// operation exactly, so a result can differ from PyTorch's in the last bits.
/// ``AdamW`` is this optimizer with `decoupledWeightDecay`.
public class Adam: Optimizer {
    /// One parameter group of Adam or AdamW with every option resolved (a `param_groups` entry).
    public struct Group: OptimizerGroup {
        public let params: [Tensor]
        public var lr: Double
        public var betas: (Double, Double)
        public var eps: Double
        public var weightDecay: Double
        public var amsgrad: Bool
        public var maximize: Bool
        /// AdamW's decay `p *= 1 - lr * weightDecay` instead of an L2 term in the gradient
        /// (`decoupled_weight_decay`).
        public var decoupledWeightDecay: Bool
        public var initialLR: Double?
    }

    /// What Adam remembers about one parameter (`optimizer.state[p]`). The tensors are live state: copy them to
    /// keep a snapshot.
    public struct ParamState {
        /// Steps taken with a gradient (`step`).
        public internal(set) var step: Int
        /// First moment average `m` (`exp_avg`).
        public let expAvg: Tensor
        /// Second moment average `v` (`exp_avg_sq`).
        public let expAvgSq: Tensor
        /// Maximum of the second moments so far (`max_exp_avg_sq`), with AMSGrad only.
        public internal(set) var maxExpAvgSq: Tensor?
    }

    /// The parameter groups in order (`param_groups`).
    public var paramGroups: [Group] = []
    /// The options that groups leave unset fall back on: the initializer's arguments (`defaults`); its
    /// `params` is empty.
    public let defaults: Group
    var states: [ObjectIdentifier: ParamState] = [:]

    /// Adam over parameter groups, each with its own options; unset options take these arguments
    /// (`torch.optim.Adam([{"params": ...}, ...], lr=..., ...)`).
    ///
    /// - Precondition: `groups` is not empty; `lr`, `eps` and `weightDecay` are not negative; each beta is in
    ///   `0..<1`; each parameter is a leaf in exactly one group.
    public init(
        groups: [ParamGroup], lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8,
        weightDecay: Double = 0, amsgrad: Bool = false, maximize: Bool = false, decoupledWeightDecay: Bool = false
    ) {
        let name = decoupledWeightDecay ? "AdamW" : "Adam"
        require(lr >= 0, "\(name): Invalid learning rate: \(lr)")
        require(eps >= 0, "\(name): Invalid epsilon value: \(eps)")
        require(betas.0 >= 0 && betas.0 < 1, "\(name): Invalid beta parameter at index 0: \(betas.0)")
        require(betas.1 >= 0 && betas.1 < 1, "\(name): Invalid beta parameter at index 1: \(betas.1)")
        require(weightDecay >= 0, "\(name): Invalid weight_decay value: \(weightDecay)")
        require(!groups.isEmpty, "\(name): optimizer got an empty parameter list")
        defaults = Group(
            params: [], lr: lr, betas: betas, eps: eps, weightDecay: weightDecay, amsgrad: amsgrad,
            maximize: maximize, decoupledWeightDecay: decoupledWeightDecay)
        for group in groups { addParamGroup(group) }
    }

    /// Adam over one group of parameters (`torch.optim.Adam(params, lr=..., betas=...)`).
    ///
    /// - Precondition: `parameters` is not empty, plus those of
    ///   ``init(groups:lr:betas:eps:weightDecay:amsgrad:maximize:decoupledWeightDecay:)``.
    public convenience init(
        parameters: [Tensor], lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8,
        weightDecay: Double = 0, amsgrad: Bool = false, maximize: Bool = false
    ) {
        require(!parameters.isEmpty, "Adam: optimizer got an empty parameter list")
        self.init(
            groups: [ParamGroup(params: parameters)], lr: lr, betas: betas, eps: eps,
            weightDecay: weightDecay, amsgrad: amsgrad, maximize: maximize)
    }

    public func addParamGroup(_ group: ParamGroup) {
        validateNewGroup(group.params, optimizer: defaults.decoupledWeightDecay ? "AdamW" : "Adam")
        paramGroups.append(
            Group(
                params: group.params, lr: group.lr ?? defaults.lr, betas: group.betas ?? defaults.betas,
                eps: group.eps ?? defaults.eps, weightDecay: group.weightDecay ?? defaults.weightDecay,
                amsgrad: group.amsgrad ?? defaults.amsgrad, maximize: group.maximize ?? defaults.maximize,
                decoupledWeightDecay: defaults.decoupledWeightDecay))
    }

    public func step() {
        for group in paramGroups {
            for parameter in group.params {
                guard let grad = parameter.grad else { continue }
                require(
                    grad.shape == parameter.shape,
                    "Adam: gradient of shape \(grad.shape) for a parameter of shape \(parameter.shape)")
                let key = ObjectIdentifier(parameter)
                var state =
                    states[key]
                    ?? ParamState(step: 0, expAvg: .zeros(parameter.shape), expAvgSq: .zeros(parameter.shape))
                if group.amsgrad && state.maxExpAvgSq == nil { state.maxExpAvgSq = .zeros(parameter.shape) }
                state.step += 1
                Adam.update(parameter, grad: grad, state: state, group: group)
                states[key] = state
            }
        }
    }

    /// The state of `parameter` (`optimizer.state[p]`): `nil` until a step has seen a gradient for it.
    public func state(for parameter: Tensor) -> ParamState? {
        states[ObjectIdentifier(parameter)]
    }
}
