import Kernels

// Channels-last activations: a tensor of shape `[N, H, W, C]` holds an `[N, C, H, W]` activation with the channels
// innermost (PyTorch's `torch.channels_last` memory format, here as its own shape). oneDNN's AVX-512 direct
// convolutions compute in this layout, so chained in it they need no reorder (its Winograd ones, where the engine
// picks them, are reached by copying 16-channel runs into nChw16c and back); the ResNet eval path (``EvalFusion``) runs
// its whole feature extractor this way, and its training path the blocks on large planes. The fused ones are for
// inference (no argument needs a gradient), like
// ``conv2dBatchNormEval(_:weight:bias:stride:padding:dilation:groups:runningMean:runningVar:bnWeight:bnBias:eps:relu:folding:)``;
// ``conv2dChannelsLast(_:weight:stride:padding:dilation:groups:)``, ``channelsLast(_:)`` and ``channelsFirst(_:)``
// are recorded for autograd (the ResNet training path, with
// ``batchNormChannelsLast(_:runningMean:runningVar:weight:bias:training:momentum:eps:)``).

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
    let g = channelsLastGeometry(
        "conv2dBatchNormEvalChannelsLast", input, channelsLast: inputChannelsLast, weight: weight, stride: stride,
        padding: padding, dilation: dilation, groups: groups)
    let n = g.batch
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
    guard Convolution.canRunChannelsLast(g, bias: true, relu: relu, layout: layout, weightsPrepared: folding != nil)
    else { return nil }
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
/// tensor in PyTorch): a copy, image by image across the cores. Recorded for autograd (the gradient goes back
/// through ``channelsLast(_:)``).
public func channelsFirst(_ input: Tensor) -> Tensor {
    require(input.rank == 4, "channelsFirst: input \(input.shape) must be [N, H, W, C]")
    let (n, h, w, c) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
    let output = Tensor.uninitialized([n, c, h, w])
    transposeImages(input.pointer, output.pointer, images: n, rows: h * w, columns: c)
    record("ChannelsFirstBackward", output: output, inputs: [input]) { gradOutput, _ in
        [channelsLast(gradOutput)]
    }
    return output
}

/// A plain `[N, C, H, W]` tensor as a channels-last `[N, H, W, C]` one (`x.to(memory_format=torch.channels_last)`
/// with the layout as its own shape): a copy, image by image across the cores. Recorded for autograd (the gradient
/// goes back through ``channelsFirst(_:)``).
public func channelsLast(_ input: Tensor) -> Tensor {
    require(input.rank == 4, "channelsLast: input \(input.shape) must be [N, C, H, W]")
    let (n, c, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
    let output = Tensor.uninitialized([n, h, w, c])
    transposeImages(input.pointer, output.pointer, images: n, rows: c, columns: h * w)
    record("ChannelsLastBackward", output: output, inputs: [input]) { gradOutput, _ in
        [channelsFirst(gradOutput)]
    }
    return output
}

/// Transposes each of `images` `[rows, columns]` matrices into `[columns, rows]`, in 16x16 tiles (both sides stay
/// in cache lines), images across the cores.
private func transposeImages(
    _ source: UnsafePointer<Float>, _ target: UnsafeMutablePointer<Float>, images: Int, rows: Int, columns: Int
) {
    let size = rows * columns
    parallelFor(images, grain: max(1, 65_536 / max(size, 1))) { range in
        for i in range {
            let (x, y) = (source + i * size, target + i * size)
            for r0 in stride(from: 0, to: rows, by: 16) {
                let r1 = min(r0 + 16, rows)
                for c0 in stride(from: 0, to: columns, by: 16) {
                    let c1 = min(c0 + 16, columns)
                    for c in c0..<c1 {
                        for r in r0..<r1 { y[c * rows + r] = x[r * columns + c] }
                    }
                }
            }
        }
    }
}

/// `conv2d(input, weight)` without a bias, with channels-last activations: input `[N, H, W, C]`, weight
/// `[O, C / groups, kh, kw]` (plain), result `[N, Ho, Wo, O]`. The forward pass hands NHWC to oneDNN's brgemm kernels
/// as it is (no reorder), or to its Winograd ones through nChw16c copies where those are picked. Recorded for autograd:
/// its backward computes the needed input and weight gradients with channels-last tensors in and out, on oneDNN's
/// blocked backward kernels (faster than its NHWC ones), the activations reordered into nChw16c and back by copying
/// 16-channel runs. The same values as
/// ``conv2d(_:weight:bias:stride:padding:dilation:groups:)`` up to float32 summation order.
///
/// Returns nil, having done nothing, when the oneDNN primitives cannot run it (another backend, a batch smaller
/// than the cores, an unimplemented shape), including the backward directions it would record: the caller then
/// runs the plain NCHW path.
public func conv2dChannelsLast(
    _ input: Tensor, weight: Tensor, stride: IntPair = 1, padding: IntPair = 0, dilation: IntPair = 1,
    groups: Int = 1
) -> Tensor? {
    require(input.rank == 4, "conv2dChannelsLast expects a 4-D input [N, H, W, C], got shape \(input.shape)")
    let g = channelsLastGeometry(
        "conv2dChannelsLast", input, channelsLast: true, weight: weight, stride: stride, padding: padding,
        dilation: dilation, groups: groups)
    let recording = wouldRecord([input, weight])
    let kept = weight.requiresGrad ? nil : weight.preparedWeights()
    guard
        Convolution.canRunChannelsLast(
            g, bias: false, relu: false, layout: .channelsLast, weightsPrepared: kept != nil),
        !recording
            || Convolution.canRunChannelsLastBackward(g, data: input.requiresGrad, weights: weight.requiresGrad)
    else { return nil }
    let output = Tensor.uninitialized([g.batch, g.outHeight, g.outWidth, g.outChannels])
    let ran = Convolution.channelsLastForward(
        input: input.pointer, weight: weight.pointer, bias: nil, output: output.pointer, geometry: g,
        workspace: Workspaces.current, relu: false, layout: .channelsLast,
        prepared: kept)
    precondition(ran, "conv2dChannelsLast: the primitives checked just before did not run")
    FLOPCounter.add(multiplyAdds: g.forwardMACs)
    let savedInput = input.detach()
    let savedWeight = weight.detach()
    record("ConvolutionBackward", output: output, inputs: [input, weight], saved: [savedInput, savedWeight]) {
        gradOutput, needs in
        let gradInput = needs[0] ? Tensor.uninitialized(savedInput.shape) : nil
        let gradWeight = needs[1] ? Tensor.uninitialized(savedWeight.shape) : nil
        FLOPCounter.add(multiplyAdds: g.forwardMACs * ((needs[0] ? 1 : 0) + (needs[1] ? 1 : 0)))
        let ran = Convolution.channelsLastBackward(
            gradOutput: gradOutput.pointer, input: savedInput.pointer, weight: savedWeight.pointer,
            gradInput: gradInput?.pointer, gradWeight: gradWeight?.pointer, geometry: g,
            workspace: Workspaces.current)
        precondition(ran, "conv2dChannelsLast: the backward primitives checked in the forward pass did not run")
        return [gradInput, gradWeight]
    }
    return output
}

/// The geometry of `name`'s convolution of `input` - `[N, H, W, C]`, or `[N, C, H, W]` without `channelsLast` - by
/// `weight` `[O, C / groups, kh, kw]`, after the checks ``conv2d(_:weight:bias:stride:padding:dilation:groups:)``
/// makes (their messages name the function, shapes and values).
func channelsLastGeometry(
    _ name: String, _ input: Tensor, channelsLast: Bool, weight: Tensor, stride: IntPair, padding: IntPair,
    dilation: IntPair, groups: Int
) -> ConvGeometry {
    require(weight.rank == 4, "\(name) expects a 4-D weight [O, C/groups, kh, kw], got \(weight.shape)")
    let layout = channelsLast ? "[N, H, W, C]" : "[N, C, H, W]"
    let (n, c, h, w) =
        channelsLast
        ? (input.shape[0], input.shape[3], input.shape[1], input.shape[2])
        : (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
    require(
        groups >= 1 && c % groups == 0 && weight.shape[0] % groups == 0 && weight.shape[1] * groups == c,
        "\(name): weight \(weight.shape) with groups \(groups) does not fit input \(input.shape) (\(layout))")
    require(stride.height > 0 && stride.width > 0, "\(name): non-positive stride \(stride)")
    require(dilation.height > 0 && dilation.width > 0, "\(name): non-positive dilation \(dilation)")
    require(padding.height >= 0 && padding.width >= 0, "\(name): negative padding \(padding)")
    let g = ConvGeometry(
        batch: n, inChannels: c, height: h, width: w, outChannels: weight.shape[0], kernelHeight: weight.shape[2],
        kernelWidth: weight.shape[3], strideH: stride.height, strideW: stride.width, padH: padding.height,
        padW: padding.width, dilationH: dilation.height, dilationW: dilation.width, groups: groups)
    require(
        g.outHeight > 0 && g.outWidth > 0,
        "\(name): input \(input.shape) (\(layout)) is too small for weight \(weight.shape)")
    return g
}
