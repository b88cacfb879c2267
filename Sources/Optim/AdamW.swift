import Tensors

/// Adam with decoupled weight decay (`torch.optim.AdamW`, torch/optim/adamw.py): each step first shrinks the
/// parameter, `p = p * (1 - lr * weightDecay)`, then takes the ``Adam`` step without an L2 term in the gradient.
/// The default weight decay is 1e-2 (Adam's is 0).
///
/// ```swift
/// let optimizer = AdamW(parameters: model.trainableParameters(), lr: 1e-3)
/// ```
public final class AdamW: Adam {
    /// AdamW over parameter groups, each with its own options; unset options take these arguments
    /// (`torch.optim.AdamW([{"params": ...}, ...], lr=..., ...)`).
    ///
    /// - Precondition: as for ``Adam/init(groups:lr:betas:eps:weightDecay:amsgrad:maximize:decoupledWeightDecay:)``.
    public init(
        groups: [ParamGroup], lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8,
        weightDecay: Double = 1e-2, amsgrad: Bool = false, maximize: Bool = false
    ) {
        super.init(
            groups: groups, lr: lr, betas: betas, eps: eps, weightDecay: weightDecay, amsgrad: amsgrad,
            maximize: maximize, decoupledWeightDecay: true)
    }

    /// AdamW over one group of parameters (`torch.optim.AdamW(params, lr=..., weight_decay=...)`).
    ///
    /// - Precondition: `parameters` is not empty, plus those of
    ///   ``init(groups:lr:betas:eps:weightDecay:amsgrad:maximize:)``.
    public convenience init(
        parameters: [Tensor], lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8,
        weightDecay: Double = 1e-2, amsgrad: Bool = false, maximize: Bool = false
    ) {
        require(!parameters.isEmpty, "AdamW: optimizer got an empty parameter list")
        self.init(
            groups: [ParamGroup(params: parameters)], lr: lr, betas: betas, eps: eps,
            weightDecay: weightDecay, amsgrad: amsgrad, maximize: maximize)
    }
}
