import Tensors

/// 3x3 convolution with padding 1 and no bias (torchvision's `conv3x3`).
func conv3x3(_ inPlanes: Int, _ outPlanes: Int, stride: Int = 1, groups: Int = 1, dilation: Int = 1) -> Conv2d {
    Conv2d(inChannels: inPlanes, outChannels: outPlanes, kernelSize: 3, stride: IntPair(stride),
           padding: IntPair(dilation), dilation: IntPair(dilation), groups: groups, bias: false)
}

/// 1x1 convolution with no bias (torchvision's `conv1x1`), used by bottlenecks and downsampling shortcuts.
func conv1x1(_ inPlanes: Int, _ outPlanes: Int, stride: Int = 1) -> Conv2d {
    Conv2d(inChannels: inPlanes, outChannels: outPlanes, kernelSize: 1, stride: IntPair(stride), bias: false)
}

/// A residual block family usable by ``ResNet``.
public protocol ResidualBlock: Module {
    /// Output channels per `planes` (1 for ``BasicBlock``, 4 for ``Bottleneck``).
    static var expansion: Int { get }
    init(inPlanes: Int, planes: Int, stride: Int, downsample: Module?)
    /// The batch norm that ends the residual branch (zeroed by `zeroInitResidual`).
    var lastBatchNorm: BatchNorm2d { get }
}

/// Two 3x3 convolutions with a shortcut (torchvision's `BasicBlock`, resnet18/34):
/// `relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))`. The first conv carries the stride.
public final class BasicBlock: Module, ResidualBlock {
    public static let expansion = 1

    public init(inPlanes: Int, planes: Int, stride: Int = 1, downsample: Module? = nil) {
        super.init()
        registerModule("conv1", conv3x3(inPlanes, planes, stride: stride))
        registerModule("bn1", BatchNorm2d(numFeatures: planes))
        registerModule("relu", ReLU())
        registerModule("conv2", conv3x3(planes, planes))
        registerModule("bn2", BatchNorm2d(numFeatures: planes))
        if let downsample { registerModule("downsample", downsample) }
    }

    public var lastBatchNorm: BatchNorm2d { requiredChild("bn2") as! BatchNorm2d }

    public override func forward(_ x: Tensor) -> Tensor {
        let relu = requiredChild("relu")
        var out = relu(requiredChild("bn1")(requiredChild("conv1")(x)))
        out = requiredChild("bn2")(requiredChild("conv2")(out))
        let identity = child("downsample").map { $0(x) } ?? x
        return relu(out + identity)
    }
}

/// 1x1 reduce, 3x3 (carrying the stride: "ResNet v1.5"), 1x1 expand by 4, with a shortcut
/// (torchvision's `Bottleneck`, resnet50).
public final class Bottleneck: Module, ResidualBlock {
    public static let expansion = 4

    public init(inPlanes: Int, planes: Int, stride: Int = 1, downsample: Module? = nil) {
        super.init()
        let width = planes
        registerModule("conv1", conv1x1(inPlanes, width))
        registerModule("bn1", BatchNorm2d(numFeatures: width))
        registerModule("conv2", conv3x3(width, width, stride: stride))
        registerModule("bn2", BatchNorm2d(numFeatures: width))
        registerModule("conv3", conv1x1(width, planes * Bottleneck.expansion))
        registerModule("bn3", BatchNorm2d(numFeatures: planes * Bottleneck.expansion))
        registerModule("relu", ReLU())
        if let downsample { registerModule("downsample", downsample) }
    }

    public var lastBatchNorm: BatchNorm2d { requiredChild("bn3") as! BatchNorm2d }

    public override func forward(_ x: Tensor) -> Tensor {
        let relu = requiredChild("relu")
        var out = relu(requiredChild("bn1")(requiredChild("conv1")(x)))
        out = relu(requiredChild("bn2")(requiredChild("conv2")(out)))
        out = requiredChild("bn3")(requiredChild("conv3")(out))
        let identity = child("downsample").map { $0(x) } ?? x
        return relu(out + identity)
    }
}
