import Tensors

/// A fully connected layer `y = x W^T + b` (`torch.nn.Linear`): `weight` `[out, in]`, optional `bias` `[out]`,
/// both initialised uniform in `±1 / sqrt(in)` as PyTorch does.
///
/// Shape: `[N, in]` -> `[N, out]`.
public final class Linear: Module {
    public let inFeatures: Int
    public let outFeatures: Int

    public init(inFeatures: Int, outFeatures: Int, bias: Bool = true) {
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        super.init()
        let bound = 1 / Float(inFeatures).squareRoot()
        registerParameter("weight", Tensor(
            shape: [outFeatures, inFeatures],
            values: ManualSeed.nextStream("Linear.weight").symmetric(outFeatures * inFeatures, bound: bound),
            requiresGrad: true))
        registerParameter("bias", bias ? Tensor(
            shape: [outFeatures], values: ManualSeed.nextStream("Linear.bias").symmetric(outFeatures, bound: bound),
            requiresGrad: true) : nil)
    }

    public var weight: Tensor {
        get { requiredParameter("weight") }
        set { registerParameter("weight", newValue) }
    }

    public var bias: Tensor? {
        get { parameter("bias") }
        set { registerParameter("bias", newValue) }
    }

    public override func forward(_ input: Tensor) -> Tensor { linear(input, weight: weight, bias: bias) }

    public override var extraDescription: String {
        "in_features=\(inFeatures), out_features=\(outFeatures), bias=\(bias == nil ? "False" : "True")"
    }
}
