import Tensors

/// Cross-entropy between logits and class indices as a reusable criterion (`torch.nn.CrossEntropyLoss`):
/// `criterion(logits, target)` is ``crossEntropy(_:target:weight:ignoreIndex:reduction:labelSmoothing:)`` with the
/// options given once.
///
/// Shapes: logits `[N, C]`, target `N` class indices, weight `[C]`; result 0-d (or `[N]` with `.none`).
public struct CrossEntropyLoss {
    public var weight: Tensor?
    public var ignoreIndex: Int
    public var reduction: Reduction
    public var labelSmoothing: Float

    public init(
        weight: Tensor? = nil, ignoreIndex: Int = -100, reduction: Reduction = .mean,
        labelSmoothing: Float = 0
    ) {
        self.weight = weight
        self.ignoreIndex = ignoreIndex
        self.reduction = reduction
        self.labelSmoothing = labelSmoothing
    }

    public func callAsFunction(_ logits: Tensor, _ target: [Int]) -> Tensor {
        crossEntropy(
            logits, target: target, weight: weight, ignoreIndex: ignoreIndex, reduction: reduction,
            labelSmoothing: labelSmoothing)
    }
}
