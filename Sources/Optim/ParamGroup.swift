import Tensors

/// Parameters to optimize together with the hyperparameters they do not share with the rest of the model: the
/// dictionaries passed to a PyTorch optimizer (`[{"params": backbone, "lr": 1e-4}, {"params": head}]`).
///
/// Every option left `nil` takes the optimizer's value (its initializer's arguments), as `add_param_group` fills a
/// group from `optimizer.defaults`. Options another optimizer type uses are ignored, as PyTorch keeps extra keys
/// unused. Discriminative learning rates for fine-tuning:
///
/// ```swift
/// let optimizer = SGD(groups: [ParamGroup(params: backbone, lr: 1e-4),
///                              ParamGroup(params: head, lr: 1e-2)],
///                     lr: 1e-3, momentum: 0.9)
/// ```
public struct ParamGroup {
    /// The tensors to update, in order (each a leaf, normally with `requiresGrad`).
    public var params: [Tensor]
    /// Learning rate (`lr`), all optimizers.
    public var lr: Double?
    /// Momentum factor (`momentum`), SGD.
    public var momentum: Double?
    /// Dampening of the momentum (`dampening`), SGD.
    public var dampening: Double?
    /// Weight decay: an L2 penalty for SGD and Adam, decoupled decay for AdamW (`weight_decay`).
    public var weightDecay: Double?
    /// Nesterov momentum (`nesterov`), SGD.
    public var nesterov: Bool?
    /// Decay rates of the first and second moment averages (`betas`), Adam and AdamW.
    public var betas: (Double, Double)?
    /// Term added to the denominator for numerical stability (`eps`), Adam and AdamW.
    public var eps: Double?
    /// Use the maximum of past second moments (`amsgrad`), Adam and AdamW.
    public var amsgrad: Bool?
    /// Maximize the objective instead of minimizing it (`maximize`), all optimizers.
    public var maximize: Bool?

    /// A group of `params` with the options that differ from the optimizer's.
    public init(
        params: [Tensor], lr: Double? = nil, momentum: Double? = nil, dampening: Double? = nil,
        weightDecay: Double? = nil, nesterov: Bool? = nil, betas: (Double, Double)? = nil, eps: Double? = nil,
        amsgrad: Bool? = nil, maximize: Bool? = nil
    ) {
        self.params = params
        self.lr = lr
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
        self.betas = betas
        self.eps = eps
        self.amsgrad = amsgrad
        self.maximize = maximize
    }
}
