import Tensors

/// A layer with PyTorch's `weight` parameter and optional `bias` (``Conv2d``, ``Linear``), both initialised as
/// their `reset_parameters` do: uniform in `±1 / sqrt(fan_in)` (kaiming_uniform with a = sqrt(5) for the weight,
/// the same bound for the bias).
public protocol WeightedLayer: Module {}

extension WeightedLayer {
    public var weight: Tensor {
        get { requiredParameter("weight") }
        set { registerParameter("weight", newValue) }
    }

    public var bias: Tensor? {
        get { parameter("bias") }
        set { registerParameter("bias", newValue) }
    }

    /// Registers `weight` of `shape` and, with `bias`, a `bias` of `[shape[0]]`, drawn from the seeded streams
    /// `"\(kind).weight"` and `"\(kind).bias"`.
    func registerWeightAndBias(shape: [Int], fanIn: Int, bias: Bool, kind: String) {
        let bound = 1 / Float(fanIn).squareRoot()
        registerParameter(
            "weight",
            Tensor(
                shape: shape,
                values: ManualSeed.nextStream("\(kind).weight").symmetric(shape.reduce(1, *), bound: bound),
                requiresGrad: true))
        registerParameter(
            "bias",
            bias
                ? Tensor(
                    shape: [shape[0]], values: ManualSeed.nextStream("\(kind).bias").symmetric(shape[0], bound: bound),
                    requiresGrad: true) : nil)
    }
}
