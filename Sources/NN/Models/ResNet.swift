import Tensors

/// torchvision's ResNet (torchvision/models/resnet.py) with the same structure, module names and state-dict keys:
/// stem `conv1` 7x7/2 -> `bn1` -> `relu` -> `maxpool` 3x3/2, stages `layer1`...`layer4`, `avgpool`, flatten, `fc`.
///
/// `baseChannels` scales every stage (`baseChannels * [1, 2, 4, 8]`; torchvision's is 64) while keeping every key,
/// for small, fast test models. Shape: `[N, 3, H, W]` -> `[N, numClasses]`.
public final class ResNet: Module {
    /// The number of blocks in each stage, e.g. `[2, 2, 2, 2]` for resnet18.
    public let layers: [Int]
    /// The stem's width (torchvision's 64); stage `i` has `baseChannels << i` planes.
    public let baseChannels: Int
    /// The width of the features entering `fc` (`model.fc.in_features` in torchvision):
    /// `8 * baseChannels * Block.expansion`.
    public let numFeatures: Int

    public let conv1: Conv2d
    public let bn1: BatchNorm2d
    public let relu: ReLU
    public let maxpool: MaxPool2d
    public let layer1: Sequential
    public let layer2: Sequential
    public let layer3: Sequential
    public let layer4: Sequential
    public let avgpool: AdaptiveAvgPool2d
    /// The classifier head; assign a new ``Linear`` (`model.fc = Linear(...)`) to adapt the model to other classes.
    /// The replacement is registered under "fc", so the state-dict keys stay `fc.weight`, `fc.bias`.
    public var fc: Linear {
        didSet { registerModule("fc", fc) }
    }

    /// Builds a ResNet from a block type and the number of blocks per stage, initialised as torchvision does:
    /// convolutions kaiming-normal (fan_out, relu), batch norms weight 1 / bias 0, `fc` PyTorch's Linear default;
    /// with `zeroInitResidual` the last batch norm of every residual branch starts at weight 0.
    public init<Block: ResidualBlock>(
        block: Block.Type, layers: [Int], numClasses: Int = 1000,
        zeroInitResidual: Bool = false, baseChannels: Int = 64
    ) {
        require(layers.count == 4, "ResNet takes 4 stage depths, got \(layers)")
        self.layers = layers
        self.baseChannels = baseChannels
        var inPlanes = baseChannels

        /// A stage of `blocks` blocks of `planes` (torchvision's `_make_layer`): the first block carries the stride
        /// and, when the shape changes, a 1x1 conv + batch norm shortcut; `inPlanes` becomes `planes * expansion`.
        func makeLayer(block: Block.Type, planes: Int, blocks: Int, stride: Int = 1) -> Sequential {
            var downsample: Sequential?
            if stride != 1 || inPlanes != planes * Block.expansion {
                downsample = Sequential(
                    conv1x1(inPlanes, planes * Block.expansion, stride: stride),
                    BatchNorm2d(numFeatures: planes * Block.expansion))
            }
            var layers: [Module] = [
                block.init(
                    inPlanes: inPlanes, planes: planes, stride: stride,
                    downsample: downsample)
            ]
            inPlanes = planes * Block.expansion
            for _ in 1..<max(blocks, 1) {
                layers.append(block.init(inPlanes: inPlanes, planes: planes, stride: 1, downsample: nil))
            }
            return Sequential(layers)
        }

        conv1 = Conv2d(inChannels: 3, outChannels: inPlanes, kernelSize: 7, stride: 2, padding: 3, bias: false)
        bn1 = BatchNorm2d(numFeatures: inPlanes)
        relu = ReLU()
        maxpool = MaxPool2d(kernelSize: 3, stride: 2, padding: 1)
        layer1 = makeLayer(block: block, planes: baseChannels, blocks: layers[0])
        layer2 = makeLayer(block: block, planes: baseChannels * 2, blocks: layers[1], stride: 2)
        layer3 = makeLayer(block: block, planes: baseChannels * 4, blocks: layers[2], stride: 2)
        layer4 = makeLayer(block: block, planes: baseChannels * 8, blocks: layers[3], stride: 2)
        avgpool = AdaptiveAvgPool2d(outputSize: 1)
        numFeatures = baseChannels * 8 * Block.expansion
        fc = Linear(inFeatures: numFeatures, outFeatures: numClasses)
        super.init()
        registerModule("conv1", conv1)
        registerModule("bn1", bn1)
        registerModule("relu", relu)
        registerModule("maxpool", maxpool)
        registerModule("layer1", layer1)
        registerModule("layer2", layer2)
        registerModule("layer3", layer3)
        registerModule("layer4", layer4)
        registerModule("avgpool", avgpool)
        registerModule("fc", fc)

        for (_, module) in namedModules() {
            guard let conv = module as? Conv2d else { continue }
            let fanOut = conv.outChannels * conv.kernelSize.height * conv.kernelSize.width
            conv.weight.assign(
                Tensor(
                    shape: conv.weight.shape,
                    values: ManualSeed.nextStream("ResNet.conv").normal(
                        conv.weight.count, std: (2 / Float(fanOut)).squareRoot())))
        }
        if zeroInitResidual {
            for (_, module) in namedModules() {
                if let block = module as? Bottleneck {
                    block.bn3.weight?.assign(Tensor.zeros([block.bn3.numFeatures]))
                } else if let block = module as? BasicBlock {
                    block.bn2.weight?.assign(Tensor.zeros([block.bn2.numFeatures]))
                }
            }
        }
    }

    public override func forward(_ x: Tensor) -> Tensor {
        fc(features(x))
    }

    /// Everything below `fc`: the stem, the four stages, average pooling and flatten - the input of `fc`
    /// (`torch.flatten(model.avgpool(...), 1)` in torchvision's `_forward_impl`). Shape: `[N, 3, H, W]` ->
    /// `[N, numFeatures]`.
    public func features(_ x: Tensor) -> Tensor {
        // Evaluation-mode inference of BasicBlock models runs channels-last from the stem to the pool, every
        // convolution fused with its batch norm, ReLU and residual add (``EvalFusion``); else module by module.
        if let features = channelsLastFeatures(x) { return features }
        // In evaluation-mode inference the stem's conv -> bn -> relu runs as one fused convolution (``EvalFusion``).
        var x = EvalFusion.convBatchNorm(conv1, bn1, relu: true, x) ?? relu(bn1(conv1(x)))
        x = maxpool(x)

        // Otherwise (training, or a gradient needed), BasicBlock stages on large planes run channels-last, no
        // activation reordered for a forward convolution (``EvalFusion``'s `channelsLastStages`); else module by
        // module.
        if let stages = channelsLastStages(x) {
            x = stages
        } else {
            x = layer1(x)
            x = layer2(x)
            x = layer3(x)
            x = layer4(x)
        }

        x = avgpool(x)
        return x.flatten(startDim: 1)
    }
}

extension ResNet {
    /// ``features(_:)`` computed with channels-last activations (what `features` does on its own in evaluation-mode
    /// inference), or nil when that path cannot run: see ``EvalFusion``'s `channelsLastFeatures`. Shape:
    /// `[N, 3, H, W]` -> `[N, numFeatures]`.
    public func channelsLastFeatures(_ x: Tensor) -> Tensor? { EvalFusion.channelsLastFeatures(self, x) }

    /// For an input of `shape` `[N, 3, H, W]`, whether each residual block (layer1.0 first) would run channels-last
    /// in ``channelsLastFeatures(_:)`` now (in the current grad mode and module modes); nil when that path would not
    /// run at all. Blocks run channels-last up to the first that cannot or should not, on the plain path after it.
    public func channelsLastPlan(forInput shape: [Int]) -> [Bool]? { EvalFusion.channelsLastPlan(self, shape)?.1 }

    /// `layer4(layer3(layer2(layer1(x))))` for the max pool's output `x` `[N, C, H, W]`, computed with
    /// channels-last activations on the blocks that can (what ``features(_:)`` does on its own in training or
    /// whenever a gradient is needed, recorded for autograd), or nil when that path would not run at all (the first
    /// block cannot): see
    /// ``EvalFusion``'s `channelsLastStages`. Shape: `[N, C, H, W]` -> layer4's output `[N, C', H', W']`.
    public func channelsLastStages(_ x: Tensor) -> Tensor? { EvalFusion.channelsLastStages(self, x) }

    /// Whether each residual block (layer1.0 first) would run channels-last in training-mode (or gradient-needing)
    /// ``features(_:)`` now, for an input of `shape` `[N, 3, H, W]` that needs no gradient (a gradient flows into the
    /// stages when the stem is trained); nil when that path would
    /// not run at all (or the shape does not fit the stem). Blocks run channels-last up to the first that cannot or
    /// should not, on the plain path after it.
    public func channelsLastTrainingPlan(forInput shape: [Int]) -> [Bool]? {
        guard shape.count == 4 else { return nil }
        var pooled = [shape[0], conv1.weight.shape[0], shape[2], shape[3]]
        for (kernel, stride, padding, dilation) in [
            (conv1.kernelSize, conv1.stride, conv1.padding, conv1.dilation),
            (maxpool.kernelSize, maxpool.stride, maxpool.padding, maxpool.dilation),
        ] {
            pooled[2] = (pooled[2] + 2 * padding.height - dilation.height * (kernel.height - 1) - 1) / stride.height + 1
            pooled[3] = (pooled[3] + 2 * padding.width - dilation.width * (kernel.width - 1) - 1) / stride.width + 1
        }
        guard pooled[2] > 0, pooled[3] > 0 else { return nil }
        let stemTrained = (conv1.parameters() + bn1.parameters()).contains { $0.requiresGrad }
        return EvalFusion.channelsLastTrainingPlan(self, pooled, inputNeedsGradient: stemTrained)?.1
    }
}

/// ResNet-18 (BasicBlock, [2, 2, 2, 2]; 11,689,512 parameters at 1000 classes) - `torchvision.models.resnet18`.
public func resnet18(numClasses: Int = 1000, zeroInitResidual: Bool = false, baseChannels: Int = 64) -> ResNet {
    ResNet(
        block: BasicBlock.self, layers: [2, 2, 2, 2], numClasses: numClasses, zeroInitResidual: zeroInitResidual,
        baseChannels: baseChannels)
}

/// ResNet-34 (BasicBlock, [3, 4, 6, 3]) - `torchvision.models.resnet34`.
public func resnet34(numClasses: Int = 1000, zeroInitResidual: Bool = false, baseChannels: Int = 64) -> ResNet {
    ResNet(
        block: BasicBlock.self, layers: [3, 4, 6, 3], numClasses: numClasses, zeroInitResidual: zeroInitResidual,
        baseChannels: baseChannels)
}

/// ResNet-50 (Bottleneck, [3, 4, 6, 3], stride in the 3x3 conv) - `torchvision.models.resnet50`.
public func resnet50(numClasses: Int = 1000, zeroInitResidual: Bool = false, baseChannels: Int = 64) -> ResNet {
    ResNet(
        block: Bottleneck.self, layers: [3, 4, 6, 3], numClasses: numClasses, zeroInitResidual: zeroInitResidual,
        baseChannels: baseChannels)
}
