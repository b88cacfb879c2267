import Tensors

/// torchvision's ResNet (torchvision/models/resnet.py) with the same structure, module names and state-dict keys:
/// stem `conv1` 7x7/2 -> `bn1` -> `relu` -> `maxpool` 3x3/2, stages `layer1`...`layer4`, `avgpool`, flatten, `fc`.
///
/// `baseChannels` scales every stage (`baseChannels * [1, 2, 4, 8]`; torchvision's is 64) while keeping every key,
/// for small, fast test models. Shape: `[N, 3, H, W]` -> `[N, numClasses]`.
public final class ResNet: Module {
    public let blockName: String
    public let layers: [Int]
    public let baseChannels: Int

    /// Builds a ResNet from a block type and the number of blocks per stage, initialised as torchvision does:
    /// convolutions kaiming-normal (fan_out, relu), batch norms weight 1 / bias 0, `fc` PyTorch's Linear default;
    /// with `zeroInitResidual` the last batch norm of every residual branch starts at weight 0.
    public init<Block: ResidualBlock>(block: Block.Type, layers: [Int], numClasses: Int = 1000,
                                      zeroInitResidual: Bool = false, baseChannels: Int = 64) {
        require(layers.count == 4, "ResNet takes 4 stage depths, got \(layers)")
        self.blockName = String(describing: block)
        self.layers = layers
        self.baseChannels = baseChannels
        super.init()
        var inPlanes = baseChannels
        registerModule("conv1", Conv2d(inChannels: 3, outChannels: inPlanes, kernelSize: 7, stride: 2, padding: 3,
                                       bias: false))
        registerModule("bn1", BatchNorm2d(numFeatures: inPlanes))
        registerModule("relu", ReLU())
        registerModule("maxpool", MaxPool2d(kernelSize: 3, stride: 2, padding: 1))
        for (stage, depth) in layers.enumerated() {
            let planes = baseChannels << stage
            let stride = stage == 0 ? 1 : 2
            var downsample: Module?
            if stride != 1 || inPlanes != planes * Block.expansion {
                downsample = Sequential(conv1x1(inPlanes, planes * Block.expansion, stride: stride),
                                        BatchNorm2d(numFeatures: planes * Block.expansion))
            }
            var blocks: [Module] = [Block(inPlanes: inPlanes, planes: planes, stride: stride, downsample: downsample)]
            inPlanes = planes * Block.expansion
            for _ in 1..<max(depth, 1) {
                blocks.append(Block(inPlanes: inPlanes, planes: planes, stride: 1, downsample: nil))
            }
            registerModule("layer\(stage + 1)", Sequential(blocks))
        }
        registerModule("avgpool", AdaptiveAvgPool2d(outputSize: 1))
        registerModule("fc", Linear(inFeatures: inPlanes, outFeatures: numClasses))
        for (_, module) in namedModules() {
            guard let conv = module as? Conv2d else { continue }
            let fanOut = conv.outChannels * conv.kernelSize.height * conv.kernelSize.width
            conv.weight.assign(Tensor(shape: conv.weight.shape, values: ManualSeed.nextStream("ResNet.conv").normal(
                conv.weight.count, std: (2 / Float(fanOut)).squareRoot())))
        }
        if zeroInitResidual {
            for (_, module) in namedModules() {
                if let block = module as? any ResidualBlock { block.lastBatchNorm.weight?.assign(Tensor.zeros([block.lastBatchNorm.numFeatures])) }
            }
        }
    }

    /// The classifier head (`model.fc`); assign a new ``Linear`` to adapt the model to other classes.
    public var fc: Module {
        get { requiredChild("fc") }
        set { registerModule("fc", newValue) }
    }

    /// The width of the features entering `fc` (`model.fc.in_features` in torchvision): `8 * baseChannels * expansion`.
    public var numFeatures: Int { (baseChannels << 3) * (blockName == "Bottleneck" ? Bottleneck.expansion : 1) }

    /// A stage by index 1...4 (`getattr(model, f"layer{index}")`).
    public func layer(_ index: Int) -> Sequential { requiredChild("layer\(index)") as! Sequential }

    /// The stem and the stages under torchvision's names: `model.layer4.unfreeze()` as in PyTorch.
    public var conv1: Conv2d { requiredChild("conv1") as! Conv2d }
    public var bn1: BatchNorm2d { requiredChild("bn1") as! BatchNorm2d }
    public var layer1: Sequential { layer(1) }
    public var layer2: Sequential { layer(2) }
    public var layer3: Sequential { layer(3) }
    public var layer4: Sequential { layer(4) }

    public override func forward(_ x: Tensor) -> Tensor {
        var out = requiredChild("conv1")(x)
        out = requiredChild("bn1")(out)
        out = requiredChild("relu")(out)
        out = requiredChild("maxpool")(out)
        for stage in 1...4 { out = layer(stage)(out) }
        out = requiredChild("avgpool")(out)
        return fc(out.flatten(startDim: 1))
    }
}

/// ResNet-18 (BasicBlock, [2, 2, 2, 2]; 11,689,512 parameters at 1000 classes) - `torchvision.models.resnet18`.
public func resnet18(numClasses: Int = 1000, zeroInitResidual: Bool = false, baseChannels: Int = 64) -> ResNet {
    ResNet(block: BasicBlock.self, layers: [2, 2, 2, 2], numClasses: numClasses, zeroInitResidual: zeroInitResidual,
           baseChannels: baseChannels)
}

/// ResNet-34 (BasicBlock, [3, 4, 6, 3]) - `torchvision.models.resnet34`.
public func resnet34(numClasses: Int = 1000, zeroInitResidual: Bool = false, baseChannels: Int = 64) -> ResNet {
    ResNet(block: BasicBlock.self, layers: [3, 4, 6, 3], numClasses: numClasses, zeroInitResidual: zeroInitResidual,
           baseChannels: baseChannels)
}

/// ResNet-50 (Bottleneck, [3, 4, 6, 3], stride in the 3x3 conv) - `torchvision.models.resnet50`.
public func resnet50(numClasses: Int = 1000, zeroInitResidual: Bool = false, baseChannels: Int = 64) -> ResNet {
    ResNet(block: Bottleneck.self, layers: [3, 4, 6, 3], numClasses: numClasses, zeroInitResidual: zeroInitResidual,
           baseChannels: baseChannels)
}
