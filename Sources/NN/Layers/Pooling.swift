import Tensors

/// 2-D max pooling with `-inf` padding (`torch.nn.MaxPool2d`); `stride` defaults to `kernelSize`.
/// Shape: `[N, C, H, W]` -> `[N, C, Ho, Wo]`.
public final class MaxPool2d: Module {
    public let kernelSize: IntPair
    public let stride: IntPair
    public let padding: IntPair
    public let dilation: IntPair

    public init(kernelSize: IntPair, stride: IntPair? = nil, padding: IntPair = 0, dilation: IntPair = 1) {
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
        self.dilation = dilation
        super.init()
    }

    public override func forward(_ input: Tensor) -> Tensor {
        maxPool2d(input, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation)
    }

    public override var extraDescription: String {
        "kernel_size=\(kernelSize), stride=\(stride), padding=\(padding), dilation=\(dilation), ceil_mode=False"
    }
}

/// Average pooling to a fixed output size (`torch.nn.AdaptiveAvgPool2d`); ResNet uses `(1, 1)`.
/// Shape: `[N, C, H, W]` -> `[N, C, Ho, Wo]`.
public final class AdaptiveAvgPool2d: Module {
    public let outputSize: IntPair

    public init(outputSize: IntPair) {
        self.outputSize = outputSize
        super.init()
    }

    public override func forward(_ input: Tensor) -> Tensor { adaptiveAvgPool2d(input, outputSize: outputSize) }
    public override var extraDescription: String { "output_size=\(pairText(outputSize))" }
}
