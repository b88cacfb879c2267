import Kernels

// Inference on channels-last activations: a tensor of shape `[N, H, W, C]` holds an `[N, C, H, W]` activation
// with the channels innermost (PyTorch's `torch.channels_last` memory format, here as its own shape). oneDNN's
// AVX-512 forward convolutions compute in this layout, so chained in it they need no reorder at all; the ResNet
// eval path (``EvalFusion``) runs its whole feature extractor this way. Nothing here is recorded for autograd:
// every function is for inference (no argument needs a gradient), like
// ``conv2dBatchNormEval(_:weight:bias:stride:padding:dilation:groups:runningMean:runningVar:bnWeight:bnBias:eps:relu:folding:)``.

/// `relu?(bn(conv2d(input)) [+ residual])` with batch norm folded into the convolution (as
/// ``conv2dBatchNormEval(_:weight:bias:stride:padding:dilation:groups:runningMean:runningVar:bnWeight:bnBias:eps:relu:folding:)``),
/// written channels-last: `[N, Ho, Wo, O]`. The input is `[N, H, W, C]` channels-last, or `[N, C, H, W]` with
/// `inputChannelsLast: false` (an image batch). With `accumulatingInto` (a channels-last `[N, Ho, Wo, O]` tensor,
/// e.g. the block's shortcut), the result is added to its values in place, before the ReLU (oneDNN's sum post-op),
/// and that tensor is returned.
///
/// Returns nil, having written nothing, when the oneDNN primitives cannot run it (another backend, a batch smaller
/// than the cores, an unimplemented shape): the caller then runs the plain NCHW path.
public func conv2dBatchNormEvalChannelsLast(
    _ input: Tensor, inputChannelsLast: Bool, weight: Tensor, bias: Tensor?, stride: IntPair, padding: IntPair,
    dilation: IntPair, groups: Int, runningMean: Tensor, runningVar: Tensor, bnWeight: Tensor?, bnBias: Tensor?,
    eps: Float, relu: Bool, accumulatingInto residual: Tensor? = nil, folding: ConvBatchNormFolding? = nil
) -> Tensor? {
    require(
        input.rank == 4 && weight.rank == 4,
        "conv2dBatchNormEvalChannelsLast: input \(input.shape) and weight \(weight.shape) must be 4-D")
    let (n, c, h, w) =
        inputChannelsLast
        ? (input.shape[0], input.shape[3], input.shape[1], input.shape[2])
        : (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
    require(
        c == weight.shape[1] * groups,
        "conv2dBatchNormEvalChannelsLast: input has \(c) channels, weight \(weight.shape) with groups \(groups) expects \(weight.shape[1] * groups)"
    )
    let g = ConvGeometry(
        batch: n, inChannels: c, height: h, width: w, outChannels: weight.shape[0], kernelHeight: weight.shape[2],
        kernelWidth: weight.shape[3], strideH: stride.height, strideW: stride.width, padH: padding.height,
        padW: padding.width, dilationH: dilation.height, dilationW: dilation.width, groups: groups)
    require(
        g.outHeight > 0 && g.outWidth > 0,
        "conv2dBatchNormEvalChannelsLast: input \(input.shape) is too small for weight \(weight.shape)")
    let outputShape = [n, g.outHeight, g.outWidth, g.outChannels]
    if let residual {
        require(
            residual.shape == outputShape,
            "conv2dBatchNormEvalChannelsLast: residual \(residual.shape) must be the output's \(outputShape)")
        require(
            residual.storage !== input.storage,
            "conv2dBatchNormEvalChannelsLast: the residual must not share the input's storage (it is written in place)")
    }
    require(
        !needsGradient([input, weight, bias, bnWeight, bnBias, residual]),
        "conv2dBatchNormEvalChannelsLast is for inference: no argument may require grad while grad mode is on")
    let layout = ForwardLayout(
        sourceChannelsLast: inputChannelsLast, destinationChannelsLast: true, sum: residual != nil)
    guard Convolution.canRunChannelsLast(g, bias: true, relu: relu, layout: layout) else { return nil }
    let (folded, shift) = foldedBatchNorm(
        weight: weight, bias: bias, runningMean: runningMean, runningVar: runningVar, bnWeight: bnWeight,
        bnBias: bnBias, eps: eps, filter: g.columnRows, folding: folding)
    let output = residual ?? Tensor.uninitialized(outputShape)
    let ran = Convolution.channelsLastForward(
        input: input.pointer, weight: folded.pointer, bias: shift.pointer, output: output.pointer, geometry: g,
        workspace: Workspaces.current, relu: relu, layout: layout,
        prepared: folding != nil ? folded.preparedWeights() : nil)
    precondition(ran, "conv2dBatchNormEvalChannelsLast: the primitives checked just before did not run")
    if let residual { residual.storage.version += 1 }
    FLOPCounter.add(multiplyAdds: g.forwardMACs)
    return output
}

/// `max_pool2d` of a channels-last `[N, H, W, C]` tensor into `[N, Ho, Wo, C]`, values only (no indices: nothing
/// to backpropagate); the same values as ``maxPool2d(_:kernelSize:stride:padding:dilation:)``, bit for bit.
public func maxPool2dChannelsLast(
    _ input: Tensor, kernelSize: IntPair, stride: IntPair, padding: IntPair, dilation: IntPair
) -> Tensor {
    require(input.rank == 4, "maxPool2dChannelsLast: input \(input.shape) must be [N, H, W, C]")
    require(
        kernelSize.height > 0 && kernelSize.width > 0,
        "maxPool2dChannelsLast: kernel size \(kernelSize) must be positive")
    require(
        stride.height > 0 && stride.width > 0, "maxPool2dChannelsLast: stride \(stride) should be greater than zero")
    require(
        dilation.height > 0 && dilation.width > 0,
        "maxPool2dChannelsLast: dilation \(dilation) should be greater than zero")
    require(
        padding.height >= 0 && padding.width >= 0, "maxPool2dChannelsLast: negative padding \(padding) is not supported"
    )
    let (n, h, w, c) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
    let g = ConvGeometry(
        batch: n, inChannels: c, height: h, width: w, outChannels: c, kernelHeight: kernelSize.height,
        kernelWidth: kernelSize.width, strideH: stride.height, strideW: stride.width, padH: padding.height,
        padW: padding.width, dilationH: dilation.height, dilationW: dilation.width)
    require(
        g.outHeight > 0 && g.outWidth > 0,
        "maxPool2dChannelsLast: input \(input.shape) is too small for kernel \(kernelSize)")
    let output = Tensor.uninitialized([n, g.outHeight, g.outWidth, c])
    MaxPoolKernel.forwardChannelsLast(input: input.pointer, output: output.pointer, geometry: g)
    return output
}

/// `adaptive_avg_pool2d(x, 1).flatten(1)` of a channels-last `[N, H, W, C]` tensor: `[N, C]`, each channel summed
/// in float32 in the same order as ``adaptiveAvgPool2d(_:outputSize:)`` (so the same values, bit for bit).
public func globalAvgPoolChannelsLast(_ input: Tensor) -> Tensor {
    require(input.rank == 4, "globalAvgPoolChannelsLast: input \(input.shape) must be [N, H, W, C]")
    let (n, plane, c) = (input.shape[0], input.shape[1] * input.shape[2], input.shape[3])
    let output = Tensor.uninitialized([n, c])
    AdaptiveAvgPoolKernel.globalChannelsLast(
        input: input.pointer, output: output.pointer, batch: n, plane: plane, channels: c)
    return output
}

/// A channels-last `[N, H, W, C]` tensor as the plain `[N, C, H, W]` one (`x.contiguous()` of a `channels_last`
/// tensor in PyTorch): a copy, image by image across the cores.
public func channelsFirst(_ input: Tensor) -> Tensor {
    require(input.rank == 4, "channelsFirst: input \(input.shape) must be [N, H, W, C]")
    let (n, plane, c) = (input.shape[0], input.shape[1] * input.shape[2], input.shape[3])
    let output = Tensor.uninitialized([n, c, input.shape[1], input.shape[2]])
    let (x, y) = (input.pointer, output.pointer)
    parallelFor(n, grain: max(1, 65_536 / max(plane * c, 1))) { images in
        for i in images {
            let (source, target) = (x + i * plane * c, y + i * plane * c)
            for p in 0..<plane {
                for k in 0..<c { target[k * plane + p] = source[p * c + k] }
            }
        }
    }
    return output
}
