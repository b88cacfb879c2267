import Tensors

/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and weight decay
/// (`torch.optim.SGD`, torch/optim/sgd.py, `_single_tensor_sgd`).
///
/// For every parameter `p` whose gradient is not `nil`, group by group, in float32:
///
/// ```
/// g = maximize ? -p.grad : p.grad
/// if weightDecay != 0 { g = g + weightDecay * p }
/// if momentum != 0 {
///     buf = (p has no buffer yet) ? g : momentum * buf + (1 - dampening) * g
///     g = nesterov ? g + momentum * buf : buf
/// }
/// p = p - lr * g
/// ```
///
/// The first momentum step copies `g` into the buffer without dampening, as PyTorch's code does (its older docs
/// said otherwise). Parameters without a gradient are skipped and get no buffer. PyTorch's vectorised CPU kernels
/// fuse each multiply-add (FMA); these loops round the product and the sum separately, so a result can differ from
/// PyTorch's in the last bit.
///
/// ```swift
/// let optimizer = SGD(parameters: model.trainableParameters(), lr: 0.001, momentum: 0.9)
/// ```
public final class SGD: Optimizer {
    /// One parameter group of SGD with every option resolved (a `param_groups` entry).
    public struct Group: OptimizerGroup {
        public let params: [Tensor]
        public var lr: Double
        public var momentum: Double
        public var dampening: Double
        public var weightDecay: Double
        public var nesterov: Bool
        public var maximize: Bool
        public var initialLR: Double?
    }

    /// The parameter groups in order (`param_groups`).
    public var paramGroups: [Group] = []
    /// The options that groups leave unset fall back on: the initializer's arguments (`defaults`); its
    /// `params` is empty.
    public let defaults: Group
    /// Momentum buffers by parameter identity (`state[p]["momentum_buffer"]`).
    var momentumBuffers: [ObjectIdentifier: Tensor] = [:]

    /// SGD over parameter groups, each with its own options; unset options take these arguments
    /// (`torch.optim.SGD([{"params": ...}, ...], lr=..., ...)`).
    ///
    /// - Precondition: `groups` is not empty; `lr`, `momentum` and `weightDecay` are not negative; Nesterov
    ///   momentum needs a positive `momentum` and zero `dampening`; each parameter is a leaf in exactly one group.
    public init(
        groups: [ParamGroup], lr: Double = 1e-3, momentum: Double = 0, dampening: Double = 0,
        weightDecay: Double = 0, nesterov: Bool = false, maximize: Bool = false
    ) {
        require(lr >= 0, "SGD: Invalid learning rate: \(lr)")
        require(momentum >= 0, "SGD: Invalid momentum value: \(momentum)")
        require(weightDecay >= 0, "SGD: Invalid weight_decay value: \(weightDecay)")
        require(
            !nesterov || (momentum > 0 && dampening == 0),
            "SGD: Nesterov momentum requires a momentum and zero dampening "
                + "(momentum \(momentum), dampening \(dampening))")
        require(!groups.isEmpty, "SGD: optimizer got an empty parameter list")
        defaults = Group(
            params: [], lr: lr, momentum: momentum, dampening: dampening, weightDecay: weightDecay,
            nesterov: nesterov, maximize: maximize)
        for group in groups { addParamGroup(group) }
    }

    /// SGD over one group of parameters (`torch.optim.SGD(params, lr=..., momentum=...)`).
    ///
    /// - Precondition: `parameters` is not empty, plus those of
    ///   ``init(groups:lr:momentum:dampening:weightDecay:nesterov:maximize:)``.
    public convenience init(
        parameters: [Tensor], lr: Double = 1e-3, momentum: Double = 0, dampening: Double = 0,
        weightDecay: Double = 0, nesterov: Bool = false, maximize: Bool = false
    ) {
        require(!parameters.isEmpty, "SGD: optimizer got an empty parameter list")
        self.init(
            groups: [ParamGroup(params: parameters)], lr: lr, momentum: momentum, dampening: dampening,
            weightDecay: weightDecay, nesterov: nesterov, maximize: maximize)
    }

    public func addParamGroup(_ group: ParamGroup) {
        validateNewGroup(group.params, optimizer: "SGD")
        paramGroups.append(
            Group(
                params: group.params, lr: group.lr ?? defaults.lr, momentum: group.momentum ?? defaults.momentum,
                dampening: group.dampening ?? defaults.dampening,
                weightDecay: group.weightDecay ?? defaults.weightDecay,
                nesterov: group.nesterov ?? defaults.nesterov, maximize: group.maximize ?? defaults.maximize))
    }

    public func step() {
        for group in paramGroups {
            for parameter in group.params {
                guard let grad = parameter.grad else { continue }
                require(
                    grad.shape == parameter.shape,
                    "SGD: gradient of shape \(grad.shape) for a parameter of shape \(parameter.shape)")
                var buffer: Tensor?
                var bufferIsNew = false
                if group.momentum != 0 {
                    let key = ObjectIdentifier(parameter)
                    if let existing = momentumBuffers[key] {
                        buffer = existing
                    } else {
                        let created = Tensor.zeros(parameter.shape)
                        momentumBuffers[key] = created
                        (buffer, bufferIsNew) = (created, true)
                    }
                }
                SGD.update(parameter, grad: grad, momentumBuffer: buffer, bufferIsNew: bufferIsNew, group: group)
            }
        }
    }

    /// The momentum buffer of `parameter` (`optimizer.state[p]["momentum_buffer"]`): `nil` until a step with
    /// nonzero momentum has seen a gradient for it. The tensor is live state: copy it to keep a snapshot.
    public func momentumBuffer(for parameter: Tensor) -> Tensor? {
        momentumBuffers[ObjectIdentifier(parameter)]
    }
}
