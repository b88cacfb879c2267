import Tensors

/// A fully connected layer `y = x W^T + b` (`torch.nn.Linear`): `weight` `[out, in]`, optional `bias` `[out]`,
/// both initialised uniform in `±1 / sqrt(in)` as PyTorch does.
///
/// Shape: `[N, in]` -> `[N, out]`.
public final class Linear: Module, WeightedLayer {
    public let inFeatures: Int
    public let outFeatures: Int

    public init(inFeatures: Int, outFeatures: Int, bias: Bool = true) {
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        super.init()
        registerWeightAndBias(shape: [outFeatures, inFeatures], fanIn: inFeatures, bias: bias, kind: "Linear")
    }

    public override func forward(_ input: Tensor) -> Tensor { linear(input, weight: weight, bias: bias) }

    public override var extraDescription: String {
        "in_features=\(inFeatures), out_features=\(outFeatures), bias=\(bias == nil ? "False" : "True")"
    }
}
