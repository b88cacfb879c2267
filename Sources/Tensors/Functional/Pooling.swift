import Kernels

/// 2-D max pooling with `-inf` padding (`torch.nn.functional.max_pool2d`, `ceil_mode=False`).
///
/// - Shapes: input `[N, C, H, W]`; result `[N, C, Ho, Wo]`, `Ho = floor((H + 2p - d(k - 1) - 1) / s) + 1`.
/// - `stride` defaults to `kernelSize`, as in PyTorch. Padding must be at most half the kernel.
public func maxPool2d(
    _ input: Tensor, kernelSize: IntPair, stride: IntPair? = nil, padding: IntPair = 0, dilation: IntPair = 1
) -> Tensor {
    require(input.rank == 4, "max_pool2d expects a 4-D input [N, C, H, W], got shape \(input.shape)")
    require(
        padding.height * 2 <= kernelSize.height && padding.width * 2 <= kernelSize.width,
        "max_pool2d: padding \(padding) should be at most half of kernel size \(kernelSize)")
    let stride = stride ?? kernelSize
    require(kernelSize.height > 0 && kernelSize.width > 0, "max_pool2d: kernel size \(kernelSize) must be positive")
    require(stride.height > 0 && stride.width > 0, "max_pool2d: stride \(stride) should be greater than zero")
    require(dilation.height > 0 && dilation.width > 0, "max_pool2d: dilation \(dilation) should be greater than zero")
    require(padding.height >= 0 && padding.width >= 0, "max_pool2d: negative padding \(padding) is not supported")
    let geometry = ConvGeometry(
        batch: input.shape[0], inChannels: input.shape[1], height: input.shape[2], width: input.shape[3],
        outChannels: input.shape[1], kernelHeight: kernelSize.height, kernelWidth: kernelSize.width,
        strideH: stride.height, strideW: stride.width, padH: padding.height, padW: padding.width,
        dilationH: dilation.height, dilationW: dilation.width)
    require(
        geometry.outHeight > 0 && geometry.outWidth > 0,
        "max_pool2d: input \(input.shape) is too small for kernel \(kernelSize)")
    let outputShape = [geometry.batch, geometry.inChannels, geometry.outHeight, geometry.outWidth]
    let output = Tensor.uninitialized(outputShape)
    guard wouldRecord([input]) else {
        MaxPoolKernel.forward(input: input.pointer, output: output.pointer, indices: nil, geometry: geometry)
        return output
    }
    let indexBuffer = IndexBuffer(UnsafeMutablePointer<Int32>.allocate(capacity: max(output.count, 1)))
    MaxPoolKernel.forward(
        input: input.pointer, output: output.pointer, indices: indexBuffer.pointer, geometry: geometry)
    let inputShape = input.shape
    record("MaxPool2DWithIndicesBackward", output: output, inputs: [input]) { gradOutput, _ in
        let gradInput = Tensor.uninitialized(inputShape)
        MaxPoolKernel.backward(
            gradOutput: gradOutput.pointer, indices: indexBuffer.pointer,
            gradInput: gradInput.pointer, geometry: geometry)
        return [gradInput]
    }
    return output
}

/// Owns the argmax indices saved by ``maxPool2d(_:kernelSize:stride:padding:dilation:)`` for its backward pass.
private final class IndexBuffer {
    let pointer: UnsafeMutablePointer<Int32>
    init(_ pointer: UnsafeMutablePointer<Int32>) { self.pointer = pointer }
    deinit { pointer.deallocate() }
}

/// Adaptive average pooling to a fixed output size (`torch.nn.functional.adaptive_avg_pool2d`): output cell `i`
/// averages input rows `[floor(i * H / Ho), ceil((i + 1) * H / Ho))`, and likewise for columns.
///
/// - Shapes: input `[N, C, H, W]`; result `[N, C, Ho, Wo]`.
public func adaptiveAvgPool2d(_ input: Tensor, outputSize: IntPair) -> Tensor {
    require(input.rank == 4, "adaptive_avg_pool2d expects a 4-D input [N, C, H, W], got shape \(input.shape)")
    require(
        outputSize.height > 0 && outputSize.width > 0,
        "adaptive_avg_pool2d: output size \(outputSize) must be positive")
    let (planes, height, width) = (input.shape[0] * input.shape[1], input.shape[2], input.shape[3])
    let (outHeight, outWidth) = (outputSize.height, outputSize.width)
    let output = Tensor.uninitialized([input.shape[0], input.shape[1], outHeight, outWidth])
    AdaptiveAvgPoolKernel.forward(
        input: input.pointer, output: output.pointer, planes: planes, height: height,
        width: width, outHeight: outHeight, outWidth: outWidth)
    let inputShape = input.shape
    record("AdaptiveAvgPool2DBackward", output: output, inputs: [input]) { gradOutput, _ in
        let gradInput = Tensor.uninitialized(inputShape)
        AdaptiveAvgPoolKernel.backward(
            gradOutput: gradOutput.pointer, gradInput: gradInput.pointer, planes: planes,
            height: height, width: width, outHeight: outHeight, outWidth: outWidth)
        return [gradInput]
    }
    return output
}
