import Tensors

/// 3x3 convolution with padding 1 and no bias (torchvision's `conv3x3`).
func conv3x3(_ inPlanes: Int, _ outPlanes: Int, stride: Int = 1, groups: Int = 1, dilation: Int = 1) -> Conv2d {
    Conv2d(
        inChannels: inPlanes, outChannels: outPlanes, kernelSize: 3, stride: IntPair(stride),
        padding: IntPair(dilation), dilation: IntPair(dilation), groups: groups, bias: false)
}

/// 1x1 convolution with no bias (torchvision's `conv1x1`), used by bottlenecks and downsampling shortcuts.
func conv1x1(_ inPlanes: Int, _ outPlanes: Int, stride: Int = 1) -> Conv2d {
    Conv2d(inChannels: inPlanes, outChannels: outPlanes, kernelSize: 1, stride: IntPair(stride), bias: false)
}

/// A residual block family usable by ``ResNet`` (torchvision's `block` argument: `BasicBlock` or `Bottleneck`).
public protocol ResidualBlock: Module {
    /// Output channels per `planes` (1 for ``BasicBlock``, 4 for ``Bottleneck``).
    static var expansion: Int { get }

    /// A block from `inPlanes` to `planes * expansion` channels; `downsample` maps the input to the output's shape
    /// when the stride or width changes.
    init(inPlanes: Int, planes: Int, stride: Int, downsample: Sequential?)
}

/// Two 3x3 convolutions with a shortcut (torchvision's `BasicBlock`, resnet18/34); the first conv carries the stride.
///
/// Shape: `[N, inPlanes, H, W]` -> `[N, planes, H / stride, W / stride]`.
public final class BasicBlock: Module, ResidualBlock {
    public static let expansion = 1

    public let conv1: Conv2d
    public let bn1: BatchNorm2d
    public let relu: ReLU
    public let conv2: Conv2d
    public let bn2: BatchNorm2d
    /// The shortcut's 1x1 convolution and batch norm, or nil when the input already has the output's shape.
    public let downsample: Sequential?
    public let stride: Int

    public init(inPlanes: Int, planes: Int, stride: Int = 1, downsample: Sequential? = nil) {
        conv1 = conv3x3(inPlanes, planes, stride: stride)
        bn1 = BatchNorm2d(numFeatures: planes)
        relu = ReLU()
        conv2 = conv3x3(planes, planes)
        bn2 = BatchNorm2d(numFeatures: planes)
        self.downsample = downsample
        self.stride = stride
        super.init()
        registerModule("conv1", conv1)
        registerModule("bn1", bn1)
        registerModule("relu", relu)
        registerModule("conv2", conv2)
        registerModule("bn2", bn2)
        if let downsample { registerModule("downsample", downsample) }
    }

    public override func forward(_ x: Tensor) -> Tensor {
        var identity = x

        // In evaluation-mode inference each conv -> bn [-> relu] runs as one fused convolution (``EvalFusion``).
        var out = EvalFusion.convBatchNorm(conv1, bn1, relu: true, x) ?? relu(bn1(conv1(x)))
        out = EvalFusion.convBatchNorm(conv2, bn2, relu: false, out) ?? bn2(conv2(out))

        if let downsample { identity = EvalFusion.shortcut(downsample, x) ?? downsample(x) }

        out = out + identity
        out = relu(out)
        return out
    }
}

/// 1x1 reduce, 3x3 (carrying the stride: "ResNet v1.5"), 1x1 expand by 4, with a shortcut (torchvision's
/// `Bottleneck`, resnet50).
///
/// Shape: `[N, inPlanes, H, W]` -> `[N, 4 * planes, H / stride, W / stride]`.
public final class Bottleneck: Module, ResidualBlock {
    public static let expansion = 4

    public let conv1: Conv2d
    public let bn1: BatchNorm2d
    public let conv2: Conv2d
    public let bn2: BatchNorm2d
    public let conv3: Conv2d
    public let bn3: BatchNorm2d
    public let relu: ReLU
    /// The shortcut's 1x1 convolution and batch norm, or nil when the input already has the output's shape.
    public let downsample: Sequential?
    public let stride: Int

    public init(inPlanes: Int, planes: Int, stride: Int = 1, downsample: Sequential? = nil) {
        let width = planes
        conv1 = conv1x1(inPlanes, width)
        bn1 = BatchNorm2d(numFeatures: width)
        conv2 = conv3x3(width, width, stride: stride)
        bn2 = BatchNorm2d(numFeatures: width)
        conv3 = conv1x1(width, planes * Bottleneck.expansion)
        bn3 = BatchNorm2d(numFeatures: planes * Bottleneck.expansion)
        relu = ReLU()
        self.downsample = downsample
        self.stride = stride
        super.init()
        registerModule("conv1", conv1)
        registerModule("bn1", bn1)
        registerModule("conv2", conv2)
        registerModule("bn2", bn2)
        registerModule("conv3", conv3)
        registerModule("bn3", bn3)
        registerModule("relu", relu)
        if let downsample { registerModule("downsample", downsample) }
    }

    public override func forward(_ x: Tensor) -> Tensor {
        var identity = x

        // In evaluation-mode inference each conv -> bn [-> relu] runs as one fused convolution (``EvalFusion``).
        var out = EvalFusion.convBatchNorm(conv1, bn1, relu: true, x) ?? relu(bn1(conv1(x)))
        out = EvalFusion.convBatchNorm(conv2, bn2, relu: true, out) ?? relu(bn2(conv2(out)))
        out = EvalFusion.convBatchNorm(conv3, bn3, relu: false, out) ?? bn3(conv3(out))

        if let downsample { identity = EvalFusion.shortcut(downsample, x) ?? downsample(x) }

        out = out + identity
        out = relu(out)
        return out
    }
}
