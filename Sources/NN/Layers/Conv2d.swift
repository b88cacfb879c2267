import Tensors

/// A 2-D convolution layer (`torch.nn.Conv2d`) with parameters `weight` `[out, in / groups, kh, kw]` and optional
/// `bias` `[out]`, initialised as PyTorch does: uniform in `±1 / sqrt(fan_in)` (kaiming_uniform with a = sqrt(5)).
///
/// Shape: input `[N, in, H, W]` -> output `[N, out, Ho, Wo]`, `Ho = floor((H + 2p - d(k - 1) - 1) / s) + 1`.
public final class Conv2d: Module, WeightedLayer {
    public let inChannels: Int
    public let outChannels: Int
    public let kernelSize: IntPair
    public let stride: IntPair
    public let padding: IntPair
    public let dilation: IntPair
    public let groups: Int
    /// The weights folded with the following batch norm for eval-mode inference (``EvalFusion``), kept while
    /// neither changes; dropped by the next unfused forward (of the module, or of the channels-last training
    /// stages, ``EvalFusion``'s `channelsLastStages`).
    let evalFolding = ConvBatchNormFolding()

    public init(
        inChannels: Int, outChannels: Int, kernelSize: IntPair, stride: IntPair = 1, padding: IntPair = 0,
        dilation: IntPair = 1, groups: Int = 1, bias: Bool = true
    ) {
        require(
            inChannels % groups == 0 && outChannels % groups == 0,
            "Conv2d: in_channels \(inChannels) and out_channels \(outChannels) must be divisible by groups \(groups)")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        super.init()
        registerWeightAndBias(
            shape: [outChannels, inChannels / groups, kernelSize.height, kernelSize.width],
            fanIn: inChannels / groups * kernelSize.height * kernelSize.width, bias: bias,
            kind: "Conv2d")
    }

    public override func forward(_ input: Tensor) -> Tensor {
        if evalFolding.holdsResult { evalFolding.clear() }
        return conv2d(
            input, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }

    public override var extraDescription: String {
        var text = "\(inChannels), \(outChannels), kernel_size=\(pairText(kernelSize)), stride=\(pairText(stride))"
        if padding != 0 { text += ", padding=\(pairText(padding))" }
        if dilation != 1 { text += ", dilation=\(pairText(dilation))" }
        if groups != 1 { text += ", groups=\(groups)" }
        if bias == nil { text += ", bias=False" }
        return text
    }
}

/// `(h, w)` as PyTorch prints tuples.
func pairText(_ pair: IntPair) -> String { "(\(pair.height), \(pair.width))" }
