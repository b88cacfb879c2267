import Kernels

/// 2-D convolution over an NCHW batch (`torch.nn.functional.conv2d`).
///
/// - Shapes: input `[N, C, H, W]`, weight `[O, C / groups, kh, kw]`, bias `[O]`;
///   result `[N, O, Ho, Wo]` with `Ho = floor((H + 2 * padding - dilation * (kh - 1) - 1) / stride) + 1`.
/// - Backward computes only the gradients that are needed (input, weight, bias), as ATen's `output_mask`.
public func conv2d(
    _ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: IntPair = 1, padding: IntPair = 0,
    dilation: IntPair = 1, groups: Int = 1
) -> Tensor {
    let geometry = conv2dGeometry(
        input, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
    let output = Tensor.uninitialized([geometry.batch, geometry.outChannels, geometry.outHeight, geometry.outWidth])
    // Weights that take no gradient (a frozen backbone) keep their reordered copies between calls.
    Convolution.forward(
        input: input.pointer, weight: weight.pointer, bias: bias?.pointer, output: output.pointer,
        geometry: geometry, workspace: Workspaces.current,
        prepared: weight.requiresGrad ? nil : weight.preparedWeights())
    FLOPCounter.add(multiplyAdds: geometry.forwardMACs)
    let savedInput = input.detach()
    let savedWeight = weight.detach()
    record("ConvolutionBackward", output: output, inputs: [input, weight, bias], saved: [savedInput, savedWeight]) {
        gradOutput, needs in
        let gradInput = needs[0] ? Tensor.uninitialized(savedInput.shape) : nil
        let gradWeight = needs[1] ? Tensor.uninitialized(savedWeight.shape) : nil
        let gradBias = needs[2] ? Tensor.uninitialized([geometry.outChannels]) : nil
        FLOPCounter.add(multiplyAdds: geometry.forwardMACs * ((needs[0] ? 1 : 0) + (needs[1] ? 1 : 0)))
        Convolution.backward(
            gradOutput: gradOutput.pointer, input: savedInput.pointer, weight: savedWeight.pointer,
            gradInput: gradInput?.pointer, gradWeight: gradWeight?.pointer, gradBias: gradBias?.pointer,
            geometry: geometry, workspace: Workspaces.current)
        return [gradInput, gradWeight, gradBias]
    }
    return output
}

/// The geometry of `conv2d(input, weight, bias, ...)`, after checking every argument (the messages name the
/// shapes and values, as PyTorch's do).
func conv2dGeometry(
    _ input: Tensor, weight: Tensor, bias: Tensor?, stride: IntPair, padding: IntPair, dilation: IntPair,
    groups: Int
) -> ConvGeometry {
    require(input.rank == 4, "conv2d expects a 4-D input [N, C, H, W], got shape \(input.shape)")
    require(weight.rank == 4, "conv2d expects a 4-D weight [O, C/groups, kh, kw], got shape \(weight.shape)")
    require(
        groups >= 1 && input.shape[1] % groups == 0 && weight.shape[0] % groups == 0,
        "conv2d: groups \(groups) must divide input channels \(input.shape[1]) and output channels "
            + "\(weight.shape[0])")
    require(
        weight.shape[1] * groups == input.shape[1],
        "conv2d: weight \(weight.shape) with groups \(groups) expects \(weight.shape[1] * groups) input "
            + "channels, got input \(input.shape)")
    require(stride.height > 0 && stride.width > 0, "conv2d: non-positive stride \(stride) is not supported")
    require(dilation.height > 0 && dilation.width > 0, "conv2d: dilation \(dilation) should be greater than zero")
    require(padding.height >= 0 && padding.width >= 0, "conv2d: negative padding \(padding) is not supported")
    if let bias {
        require(bias.shape == [weight.shape[0]], "conv2d: bias shape \(bias.shape) must be [\(weight.shape[0])]")
    }
    let geometry = ConvGeometry(
        batch: input.shape[0], inChannels: input.shape[1], height: input.shape[2], width: input.shape[3],
        outChannels: weight.shape[0], kernelHeight: weight.shape[2], kernelWidth: weight.shape[3],
        strideH: stride.height, strideW: stride.width, padH: padding.height, padW: padding.width,
        dilationH: dilation.height, dilationW: dilation.width, groups: groups)
    require(
        geometry.outHeight > 0 && geometry.outWidth > 0,
        "conv2d: input \(input.shape) is too small for kernel \(Array(weight.shape[2...])) with padding "
            + "\(padding) and dilation \(dilation)")
    return geometry
}
