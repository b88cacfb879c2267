import Kernels
import Tensors

/// Evaluation-mode inference of a BasicBlock ResNet's features (resnet18, resnet34) with channels-last
/// activations from the stem's output to the average pool (``conv2dBatchNormEvalChannelsLast(_:inputChannelsLast:weight:bias:stride:padding:dilation:groups:runningMean:runningVar:bnWeight:bnBias:eps:relu:accumulatingInto:folding:)``):
/// every convolution has its batch norm folded in and its ReLU fused, a block's residual add runs inside its
/// second convolution (added before that convolution's ReLU, as `relu(bn2(conv2(x)) + shortcut)`), and no
/// activation is ever reordered between layouts - oneDNN's AVX-512 forward kernels compute in channels-last.
///
/// Taken under the conditions of ``EvalFusion`` (evaluation mode, nothing needs a gradient, no profiler or
/// recorder, fusion not disabled) when the model is the torchvision shape this code knows (BasicBlock stages, a
/// `Conv2d -> BatchNorm2d` downsample, adaptive average pooling to 1x1) and the batch is at least one image per
/// core. Otherwise, or when oneDNN cannot run a layer's shape, nil: ``ResNet/features(_:)`` runs module by module.
/// The result differs from the module-by-module fused path only by the order of the residual addition inside the
/// convolution's rounding (a float32 ulp or so of the activations; the tests bound it).
extension EvalFusion {
    static func channelsLastFeatures(_ model: ResNet, _ x: Tensor) -> Tensor? {
        guard enabled, ModuleProfiler.current == nil, ForwardRecorder.current == nil, x.rank == 4,
            model.avgpool.outputSize == IntPair(1, 1), !needsGradient([x])
        else { return nil }
        let blocks = [model.layer1, model.layer2, model.layer3, model.layer4].flatMap { stage in
            (0..<stage.count).map { stage[$0] as? BasicBlock }
        }
        guard blocks.allSatisfy({ $0 != nil }) else { return nil }
        guard var h = convBatchNormChannelsLast(model.conv1, model.bn1, relu: true, x, inputChannelsLast: false)
        else { return nil }
        let pool = model.maxpool
        h = maxPool2dChannelsLast(
            h, kernelSize: pool.kernelSize, stride: pool.stride, padding: pool.padding, dilation: pool.dilation)
        var channelsLast = true
        for case let block? in blocks {
            if channelsLast && !prefersChannelsLast(block, h) {
                // From here on the plain path (its GEMMs on small planes), after one permute.
                h = channelsFirst(h)
                channelsLast = false
            }
            if channelsLast {
                guard let out = basicBlockChannelsLast(block, h) else { return nil }
                h = out
            } else {
                h = block(h)
            }
        }
        return channelsLast ? globalAvgPoolChannelsLast(h) : model.avgpool(h).flatten(startDim: 1)
    }

    /// Whether the block's 3x3 convolutions are ones the plain path runs on oneDNN's primitives too
    /// (``Convolution/usesPrimitive(_:_:_:_:)``). Where it runs im2col + GEMM instead (layer3 and layer4 on small
    /// planes: a 2x2 plane keeps the primitive's kernels at a third of their speed, measured 90 GFLOPS per core), the
    /// rest of the network runs on the plain path. The 1x1 downsample needs no such check: the plain path's reason
    /// to avoid the primitive there is the activation reorder, which channels-last does not make.
    private static func prefersChannelsLast(_ block: BasicBlock, _ x: Tensor) -> Bool {
        let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let first = geometry(block.conv1, batch: n, channels: c, height: h, width: w)
        guard Convolution.usesPrimitive(.forward, first, .selected, .automatic) else { return false }
        let second = geometry(
            block.conv2, batch: n, channels: first.outChannels, height: first.outHeight, width: first.outWidth)
        return Convolution.usesPrimitive(.forward, second, .selected, .automatic)
    }

    private static func geometry(_ conv: Conv2d, batch: Int, channels: Int, height: Int, width: Int) -> ConvGeometry {
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
        guard !bn.training, bn.trackRunningStats, let mean = bn.runningMean, let variance = bn.runningVar,
            !needsGradient([conv.weight, conv.bias, bn.weight, bn.bias])
        else { return nil }
        return conv2dBatchNormEvalChannelsLast(
            x, inputChannelsLast: inputChannelsLast, weight: conv.weight, bias: conv.bias, stride: conv.stride,
            padding: conv.padding, dilation: conv.dilation, groups: conv.groups, runningMean: mean,
            runningVar: variance, bnWeight: bn.weight, bnBias: bn.bias, eps: bn.eps, relu: relu,
            accumulatingInto: residual, folding: conv.evalFolding)
    }
}
