import Kernels
import Tensors

/// Evaluation-mode inference of a BasicBlock ResNet's features (resnet18, resnet34) with channels-last
/// activations from the stem's output to the average pool
/// (``conv2dBatchNormEvalChannelsLast(_:inputChannelsLast:weight:bias:stride:padding:dilation:groups:runningMean:runningVar:bnWeight:bnBias:eps:relu:accumulatingInto:folding:)``):
/// every convolution has its batch norm folded in and its ReLU fused, a block's residual add runs inside its second
/// convolution (added before that convolution's ReLU, as `relu(bn2(conv2(x)) + shortcut)`), and no activation is
/// reordered between layouts - oneDNN's AVX-512 direct forward kernels compute in channels-last - except around the 3x3
/// convolutions that run oneDNN's Winograd kernels
/// (``Convolution/primitiveImplementations(_:_:bias:relu:layout:weightsPrepared:)``), whose activations are copied into
/// nChw16c and back.
///
/// Taken under the conditions of ``EvalFusion`` (evaluation mode, nothing needs a gradient, no profiler or
/// recorder, fusion not disabled) when the model is the torchvision shape this code knows (BasicBlock stages, a
/// `Conv2d -> BatchNorm2d` downsample, adaptive average pooling to 1x1) and the batch is at least one image per
/// core. Otherwise, or when oneDNN cannot run the stem channels-last, nil: ``ResNet/features(_:)`` runs module by
/// module. A block that cannot (or should not) run channels-last, and every block after it, runs on the plain path
/// instead, as decided before anything runs (``channelsLastPlan(_:_:_:)``).
/// The result differs from the module-by-module fused path only by the order of the residual addition inside the
/// convolution's rounding (a float32 ulp or so of the activations, a few times that where Winograd runs; the tests
/// bound it).
extension EvalFusion {
    static func channelsLastFeatures(_ model: ResNet, _ x: Tensor) -> Tensor? {
        guard let (blocks, plan) = channelsLastPlan(model, x.shape, [x]),
            var h = convBatchNormChannelsLast(model.conv1, model.bn1, relu: true, x, inputChannelsLast: false)
        else { return nil }
        let pool = model.maxpool
        h = maxPool2dChannelsLast(
            h, kernelSize: pool.kernelSize, stride: pool.stride, padding: pool.padding, dilation: pool.dilation)
        var channelsLast = true
        for (block, onChannelsLast) in zip(blocks, plan) {
            if channelsLast && !onChannelsLast {
                // From here on the plain path (its GEMMs on small planes), after one permute.
                h = channelsFirst(h)
                channelsLast = false
            }
            if channelsLast {
                guard let out = basicBlockChannelsLast(block, h) else {
                    preconditionFailure("channels-last block refused after its plan was checked")
                }
                h = out
            } else {
                h = block(h)
            }
        }
        return channelsLast ? globalAvgPoolChannelsLast(h) : model.avgpool(h).flatten(startDim: 1)
    }

    /// The model's blocks and, for each, whether it runs channels-last, decided before anything runs (so that a
    /// block that cannot never leaves work to redo): nil when the path does not apply at all (the conditions above,
    /// or a stem oneDNN cannot run channels-last). Blocks run channels-last from layer1 up to the first block that
    /// cannot or should not (``prefersChannelsLast(_:batch:channels:height:width:)``), and on the plain path from
    /// there. `inputs`: the tensors besides the parameters whose gradient would be needed (the input).
    static func channelsLastPlan(_ model: ResNet, _ shape: [Int], _ inputs: [Tensor] = []) -> ([BasicBlock], [Bool])? {
        guard enabled, ModuleProfiler.current == nil, ForwardRecorder.current == nil, shape.count == 4,
            model.avgpool.outputSize == IntPair(1, 1), !needsGradient(inputs)
        else { return nil }
        guard let blocks = basicBlocks(model) else { return nil }
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        let stem = geometry(model.conv1, batch: n, channels: c, height: h, width: w)
        guard eligible(model.bn1, model.conv1), c == model.conv1.weight.shape[1] * model.conv1.groups,
            stem.outHeight > 0, stem.outWidth > 0,
            Convolution.canRunChannelsLast(
                stem, bias: true, relu: true, layout: ForwardLayout(destinationChannelsLast: true),
                weightsPrepared: true)
        else { return nil }
        let pool = model.maxpool
        let pooled = ConvGeometry(
            batch: n, inChannels: stem.outChannels, height: stem.outHeight, width: stem.outWidth,
            outChannels: stem.outChannels, kernelHeight: pool.kernelSize.height, kernelWidth: pool.kernelSize.width,
            strideH: pool.stride.height, strideW: pool.stride.width, padH: pool.padding.height,
            padW: pool.padding.width, dilationH: pool.dilation.height, dilationW: pool.dilation.width)
        guard pooled.outHeight > 0, pooled.outWidth > 0 else { return nil }
        var (channels, height, width) = (pooled.outChannels, pooled.outHeight, pooled.outWidth)
        var plan: [Bool] = []
        var channelsLast = true
        for block in blocks {
            let first = geometry(block.conv1, batch: n, channels: channels, height: height, width: width)
            let second = geometry(
                block.conv2, batch: n, channels: first.outChannels, height: first.outHeight, width: first.outWidth)
            channelsLast =
                channelsLast && first.outHeight > 0 && first.outWidth > 0
                && canRunChannelsLast(block, first, second)
            plan.append(channelsLast)
            (channels, height, width) = (second.outChannels, second.outHeight, second.outWidth)
        }
        return (blocks, plan)
    }

    /// Whether a block can run channels-last (its batch norms in eval mode with running statistics, no gradient
    /// needed, a `Conv2d -> BatchNorm2d` downsample, every convolution implemented by oneDNN channels-last) and
    /// should: its 3x3 convolutions are ones the plain path runs on oneDNN's primitives too
    /// (``Convolution/usesPrimitive(_:_:_:_:)``). Where the plain path runs im2col + GEMM instead (layer3 and layer4
    /// on small planes: a 2x2 plane keeps the primitive's kernels at a third of their speed, measured 90 GFLOPS per
    /// core), the rest of the network runs on the plain path. The 1x1 downsample needs no such check: the plain
    /// path's reason to avoid the primitive there is the activation reorder, which channels-last does not make.
    private static func canRunChannelsLast(
        _ block: BasicBlock, _ first: ConvGeometry, _ second: ConvGeometry
    )
        -> Bool
    {
        let inner = ForwardLayout(sourceChannelsLast: true, destinationChannelsLast: true)
        guard second.outHeight > 0, second.outWidth > 0,
            first.inChannels == block.conv1.weight.shape[1] * block.conv1.groups,
            second.inChannels == block.conv2.weight.shape[1] * block.conv2.groups,
            eligible(block.bn1, block.conv1), eligible(block.bn2, block.conv2),
            Convolution.usesPrimitive(.forward, first, .selected, .automatic),
            Convolution.usesPrimitive(.forward, second, .selected, .automatic),
            Convolution.canRunChannelsLast(first, bias: true, relu: true, layout: inner, weightsPrepared: true),
            Convolution.canRunChannelsLast(
                second, bias: true, relu: true,
                layout: ForwardLayout(sourceChannelsLast: true, destinationChannelsLast: true, sum: true),
                weightsPrepared: true)
        else { return false }
        guard let downsample = block.downsample else {
            return first.inChannels == second.outChannels && second.outHeight == first.height
                && second.outWidth == first.width
        }
        guard downsample.count == 2, let conv = downsample[0] as? Conv2d, let bn = downsample[1] as? BatchNorm2d,
            eligible(bn, conv)
        else { return false }
        let shortcut = geometry(
            conv, batch: first.batch, channels: first.inChannels, height: first.height, width: first.width)
        return shortcut.outChannels == second.outChannels && shortcut.outHeight == second.outHeight
            && shortcut.outWidth == second.outWidth
            && Convolution.canRunChannelsLast(shortcut, bias: true, relu: false, layout: inner, weightsPrepared: true)
    }

    /// The residual blocks of layer1 to layer4 in order, or nil unless every one is a ``BasicBlock``.
    static func basicBlocks(_ model: ResNet) -> [BasicBlock]? {
        var blocks: [BasicBlock] = []
        for stage in [model.layer1, model.layer2, model.layer3, model.layer4] {
            for index in 0..<stage.count {
                guard let block = stage[index] as? BasicBlock else { return nil }
                blocks.append(block)
            }
        }
        return blocks
    }

    /// A `conv -> bn` pair that can be folded for inference: the batch norm in eval mode with running statistics,
    /// no gradient needed.
    private static func eligible(_ bn: BatchNorm2d, _ conv: Conv2d) -> Bool {
        !bn.training && bn.trackRunningStats && bn.runningMean != nil && bn.runningVar != nil
            && !needsGradient([conv.weight, conv.bias, bn.weight, bn.bias])
    }

    /// The geometry of `conv` on an input `[batch, channels, height, width]` (no checks).
    static func geometry(_ conv: Conv2d, batch: Int, channels: Int, height: Int, width: Int) -> ConvGeometry {
        ConvGeometry(
            batch: batch, inChannels: channels, height: height, width: width, outChannels: conv.weight.shape[0],
            kernelHeight: conv.weight.shape[2], kernelWidth: conv.weight.shape[3], strideH: conv.stride.height,
            strideW: conv.stride.width, padH: conv.padding.height, padW: conv.padding.width,
            dilationH: conv.dilation.height, dilationW: conv.dilation.width, groups: conv.groups)
    }

    /// One BasicBlock on a channels-last `[N, H, W, C]` input it may overwrite (the shortcut is added into the
    /// downsample's output, or into the input itself).
    private static func basicBlockChannelsLast(_ block: BasicBlock, _ x: Tensor) -> Tensor? {
        guard let t = convBatchNormChannelsLast(block.conv1, block.bn1, relu: true, x) else { return nil }
        let shortcut: Tensor
        if let downsample = block.downsample {
            guard downsample.count == 2, let conv = downsample[0] as? Conv2d, let bn = downsample[1] as? BatchNorm2d,
                let made = convBatchNormChannelsLast(conv, bn, relu: false, x)
            else { return nil }
            shortcut = made
        } else {
            shortcut = x
        }
        return convBatchNormChannelsLast(block.conv2, block.bn2, relu: true, t, accumulatingInto: shortcut)
    }

    private static func convBatchNormChannelsLast(
        _ conv: Conv2d, _ bn: BatchNorm2d, relu: Bool, _ x: Tensor, inputChannelsLast: Bool = true,
        accumulatingInto residual: Tensor? = nil
    ) -> Tensor? {
        guard eligible(bn, conv), let mean = bn.runningMean, let variance = bn.runningVar else { return nil }
        return conv2dBatchNormEvalChannelsLast(
            x, inputChannelsLast: inputChannelsLast, weight: conv.weight, bias: conv.bias, stride: conv.stride,
            padding: conv.padding, dilation: conv.dilation, groups: conv.groups, runningMean: mean,
            runningVar: variance, bnWeight: bn.weight, bnBias: bn.bias, eps: bn.eps, relu: relu,
            accumulatingInto: residual, folding: conv.evalFolding)
    }
}
