import Kernels

/// Evaluation-mode `conv2d -> batch_norm (running statistics) [-> relu]` as ONE convolution, for inference: the
/// batch norm is folded into the convolution's weights and bias, and the ReLU is applied in the convolution's
/// epilogue (the pass that adds the bias), so the two element-wise passes over the activation disappear. PyTorch
/// eager runs the three ops separately; `torch.fx.experimental.optimization.fuse` /
/// `torch.nn.utils.fusion.fuse_conv_bn_eval` fold the same way.
///
/// With `s = bnWeight / sqrt(runningVar + eps)` per output channel (computed in Double, rounded once):
/// `weight' = weight * s` (each output channel's filter), `bias' = (bias - runningMean) * s + bnBias`; the result
/// is `conv2d(input, weight', bias')`, clamped at 0 with `relu`. It equals the unfused chain up to float32
/// rounding: each weight is rounded once more (`w * s`) and the products are scaled before the sum instead of
/// after it, so results differ by a few float32 ulps of the activation's magnitude (the tests bound it).
///
/// - Shapes: input `[N, C, H, W]`, weight `[O, C / groups, kh, kw]`, bias `[O]`; runningMean, runningVar,
///   bnWeight, bnBias `[O]`; result `[N, O, Ho, Wo]`.
/// - Inference only: no argument may need a gradient (``needsGradient(_:)`` false); nothing is recorded.
public func conv2dBatchNormEval(
    _ input: Tensor, weight: Tensor, bias: Tensor?, stride: IntPair = 1, padding: IntPair = 0,
    dilation: IntPair = 1, groups: Int = 1, runningMean: Tensor, runningVar: Tensor, bnWeight: Tensor?,
    bnBias: Tensor?, eps: Float, relu: Bool
) -> Tensor {
    let geometry = conv2dGeometry(
        input, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
    let channels = geometry.outChannels
    for (name, tensor) in [
        ("runningMean", runningMean), ("runningVar", runningVar), ("bnWeight", bnWeight), ("bnBias", bnBias),
    ] {
        if let tensor {
            require(
                tensor.shape == [channels],
                "conv2dBatchNormEval: \(name) shape \(tensor.shape) must be [\(channels)] (the convolution's "
                    + "output channels)")
        }
    }
    require(
        !needsGradient([input, weight, bias, bnWeight, bnBias]),
        "conv2dBatchNormEval is for inference: no argument may require grad while grad mode is on")
    let filter = geometry.columnRows
    let folded = Tensor.uninitialized(weight.shape)
    let shift = Tensor.uninitialized([channels])
    for o in 0..<channels {
        let scale =
            Double(bnWeight?.pointer[o] ?? 1) / (Double(runningVar.pointer[o]) + Double(eps)).squareRoot()
        let b = Double(bias?.pointer[o] ?? 0)
        shift.pointer[o] = Float((b - Double(runningMean.pointer[o])) * scale + Double(bnBias?.pointer[o] ?? 0))
        let (source, target) = (weight.pointer + o * filter, folded.pointer + o * filter)
        let s = Float(scale)
        for i in 0..<filter { target[i] = source[i] * s }
    }
    let output = Tensor.uninitialized([geometry.batch, channels, geometry.outHeight, geometry.outWidth])
    Convolution.forward(
        input: input.pointer, weight: folded.pointer, bias: shift.pointer, output: output.pointer,
        geometry: geometry, workspace: Workspaces.current, relu: relu)
    FLOPCounter.add(multiplyAdds: geometry.forwardMACs)
    return output
}

/// True when an operation on these tensors would be recorded for autograd (grad mode on and one of them requires
/// grad), i.e. when a fused inference-only kernel must not replace it.
public func needsGradient(_ tensors: [Tensor?]) -> Bool { wouldRecord(tensors) }
