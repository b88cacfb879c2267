import Kernels
import Tensors

/// The residual stages of a BasicBlock ResNet (resnet18, resnet34) with channels-last activations whenever the
/// evaluation-mode path (``channelsLastFeatures(_:_:)``) does not run: training, a frozen backbone with its batch
/// norms in train mode (the post's variant), anything that needs a gradient. From layer1 on, every convolution runs
/// on oneDNN's primitives with NHWC activations (``conv2dChannelsLast(_:weight:stride:padding:dilation:groups:)``),
/// every batch norm on the channels-last tensor (``BatchNorm2d/forwardChannelsLast(_:)``, with the module's own
/// bookkeeping), ReLU and the residual add element by element as on the plain path.
///
/// What that saves: on the plain path a forward convolution reorders its NCHW input into NHWC for oneDNN's brgemm
/// kernels and its output back (oneDNN's generic `jit:uni` reorder, the slowest of its reorders); here there is
/// none, except around the convolutions that run oneDNN's Winograd kernels (copies of 16-channel runs). The backward
/// primitives still compute in oneDNN's blocked nChw16c layout (its NHWC backward kernels measured 1.08-2.05x slower in
/// place than the blocked ones), reached from NHWC by copying 16-channel runs (``OneDNN``'s `Reorder`, twice as fast in
/// place as oneDNN's own), as many reorders as the plain path makes from NCHW. Measured in one process, alternating
/// step by step with the plain path (BENCHMARKS.md): 0.95-1.0 of its time per step, never slower.
///
/// The same computation as module by module, in another float32 summation order (the forward kernels, and the
/// batch-norm sums in Double); the tests bound the difference, and the trace replays compare it with PyTorch.
///
/// Taken under the conditions of ``EvalFusion`` (no profiler or recorder, not disabled), for the torchvision shape
/// (BasicBlock stages, bias-free convolutions, a `Conv2d -> BatchNorm2d` downsample) at a batch of at least one
/// image per core. Blocks run channels-last from layer1.0 up to the first that cannot or should not - whose 3x3
/// convolutions the plain path runs as im2col + GEMM in a direction the step needs (small planes, e.g. layer4 at
/// 7x7: oneDNN's kernels are slower there, reorders or not) - and on the plain path from there, as decided before
/// anything runs (``channelsLastTrainingPlan(_:_:inputNeedsGradient:)``).
extension EvalFusion {
    /// The output of layer4 (`[N, C, H, W]`) from the max pool's output `x`, or nil when the first block would
    /// not run channels-last (the caller then runs the stages module by module).
    static func channelsLastStages(_ model: ResNet, _ x: Tensor) -> Tensor? {
        guard let (blocks, plan) = channelsLastTrainingPlan(model, x.shape, inputNeedsGradient: x.requiresGrad),
            plan.first == true
        else {
            return nil
        }
        var h = channelsLast(x)
        var onChannelsLast = true
        for (block, channelsLastBlock) in zip(blocks, plan) {
            if onChannelsLast && !channelsLastBlock {
                h = channelsFirst(h)
                onChannelsLast = false
            }
            h = onChannelsLast ? basicBlockChannelsLast(block, h) : block(h)
        }
        return onChannelsLast ? channelsFirst(h) : h
    }

    /// The model's blocks and, for each, whether it runs channels-last in ``channelsLastStages(_:_:)`` for the max
    /// pool's output of `shape` (`inputNeedsGradient`: whether that output requires grad, as it does below a trained
    /// stem); nil when the path does not apply at all (see above). Decided before anything runs, so that every
    /// primitive a block will need, backward ones included, is known to exist.
    static func channelsLastTrainingPlan(
        _ model: ResNet, _ shape: [Int], inputNeedsGradient: Bool
    ) -> ([BasicBlock], [Bool])? {
        guard enabled, ModuleProfiler.current == nil, ForwardRecorder.current == nil, shape.count == 4,
            KernelBackend.selected == .oneDNN, shape[0] >= Parallelism.cores, let blocks = basicBlocks(model)
        else { return nil }
        // Evaluation-mode inference (no batch norm in train mode, nothing needs a gradient) that the eval path did
        // not take keeps the plain path's per-module fusion of conv -> bn [-> relu] (``convBatchNorm``).
        let training = model.namedModules().contains { ($0.1 as? BatchNorm2d)?.training ?? false }
        let recording =
            GradMode.isEnabled && (inputNeedsGradient || model.parameters().contains { $0.requiresGrad })
        guard training || recording else { return nil }
        var (channels, height, width) = (shape[1], shape[2], shape[3])
        // Whether a gradient reaches this point from below (the input's, or a trained parameter's).
        var flowing = GradMode.isEnabled && inputNeedsGradient
        var plan: [Bool] = []
        var channelsLastSoFar = true
        for block in blocks {
            flowing = flowing || GradMode.isEnabled && block.parameters().contains { $0.requiresGrad }
            guard let shapes = trainingGeometries(block, batch: shape[0], channels, height, width) else {
                return nil
            }
            channelsLastSoFar =
                channelsLastSoFar && canRunChannelsLastTraining(block, shapes, backward: flowing)
            plan.append(channelsLastSoFar)
            (channels, height, width) = (shapes.second.outChannels, shapes.second.outHeight, shapes.second.outWidth)
        }
        return (blocks, plan)
    }

    private struct BlockGeometries {
        var first: ConvGeometry
        var second: ConvGeometry
        var shortcut: ConvGeometry?
    }

    /// The geometries of a block's convolutions for an input `[batch, channels, height, width]`; nil when the
    /// block's shapes do not chain (the module-by-module path then reports the error).
    private static func trainingGeometries(
        _ block: BasicBlock, batch: Int, _ channels: Int, _ height: Int, _ width: Int
    ) -> BlockGeometries? {
        func geometry(_ conv: Conv2d, _ c: Int, _ h: Int, _ w: Int) -> ConvGeometry? {
            guard c == conv.weight.shape[1] * conv.groups else { return nil }
            let g = EvalFusion.geometry(conv, batch: batch, channels: c, height: h, width: w)
            return g.outHeight > 0 && g.outWidth > 0 ? g : nil
        }
        guard let first = geometry(block.conv1, channels, height, width),
            let second = geometry(block.conv2, first.outChannels, first.outHeight, first.outWidth)
        else { return nil }
        var result = BlockGeometries(first: first, second: second)
        if let downsample = block.downsample {
            guard downsample.count == 2, let conv = downsample[0] as? Conv2d, downsample[1] is BatchNorm2d,
                let shortcut = geometry(conv, channels, height, width), shortcut.outChannels == second.outChannels,
                shortcut.outHeight == second.outHeight, shortcut.outWidth == second.outWidth
            else { return nil }
            result.shortcut = shortcut
        } else {
            guard channels == second.outChannels, height == second.outHeight, width == second.outWidth else {
                return nil
            }
        }
        return result
    }

    /// Whether a block can run channels-last (bias-free convolutions, each implemented by oneDNN in NHWC in every
    /// direction it will run) and should: its 3x3 convolutions are ones the plain path runs on oneDNN's primitives
    /// in those directions (``Convolution/usesPrimitive(_:_:_:_:)``). The 1x1 shortcut needs only the first check:
    /// the plain path's reasons to run it as GEMM are its reorders.
    private static func canRunChannelsLastTraining(
        _ block: BasicBlock, _ shapes: BlockGeometries, backward: Bool
    ) -> Bool {
        let directions: [ConvolutionDirection] = backward ? [.forward, .backwardData, .backwardWeights] : [.forward]
        func runs(_ conv: Conv2d, _ g: ConvGeometry) -> Bool {
            conv.bias == nil
                && Convolution.canRunChannelsLast(
                    g, bias: false, relu: false, layout: .channelsLast, weightsPrepared: !conv.weight.requiresGrad)
                && (!backward || Convolution.canRunChannelsLastBackward(g))
        }
        for (conv, g) in [(block.conv1, shapes.first), (block.conv2, shapes.second)] {
            guard runs(conv, g), directions.allSatisfy({ Convolution.usesPrimitive($0, g, .selected, .automatic) })
            else { return false }
        }
        if let shortcut = shapes.shortcut, let conv = block.downsample?[0] as? Conv2d {
            return runs(conv, shortcut)
        }
        return true
    }

    /// One BasicBlock on a channels-last `[N, H, W, C]` input: `relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut)`,
    /// recorded for autograd, as ``BasicBlock``'s forward.
    private static func basicBlockChannelsLast(_ block: BasicBlock, _ x: Tensor) -> Tensor {
        func conv(_ conv: Conv2d, _ input: Tensor) -> Tensor {
            // As Conv2d.forward: an unfused forward drops the eval-mode folding (and its oneDNN copies).
            if conv.evalFolding.holdsResult { conv.evalFolding.clear() }
            guard
                let output = conv2dChannelsLast(
                    input, weight: conv.weight, stride: conv.stride, padding: conv.padding, dilation: conv.dilation,
                    groups: conv.groups)
            else { preconditionFailure("channels-last convolution refused after its plan was checked") }
            return output
        }
        var out = relu(block.bn1.forwardChannelsLast(conv(block.conv1, x)))
        out = block.bn2.forwardChannelsLast(conv(block.conv2, out))
        var identity = x
        if let downsample = block.downsample, let shortcut = downsample[0] as? Conv2d,
            let bn = downsample[1] as? BatchNorm2d
        {
            identity = bn.forwardChannelsLast(conv(shortcut, x))
        }
        return relu(out + identity)
    }
}
