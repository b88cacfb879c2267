import Kernels

/// Splits a shape around `dim` into the `[outer, size, inner]` view the softmax kernels use.
private func softmaxLayout(_ input: Tensor, _ dim: Int) -> (outer: Int, size: Int, inner: Int) {
    let d = input.normalizedDim(dim)
    return (input.shape[..<d].reduce(1, *), input.shape[d], input.shape[(d + 1)...].reduce(1, *))
}

private func softmax(_ input: Tensor, dim: Int, log: Bool) -> Tensor {
    require(input.rank >= 1, "softmax needs at least one dimension, got a 0-d tensor")
    let (outer, size, inner) = softmaxLayout(input, dim)
    let output = Tensor.uninitialized(input.shape)
    SoftmaxKernel.forward(input.pointer, output.pointer, outer: outer, size: size, inner: inner, log: log)
    let saved = output.detach()
    record(log ? "LogSoftmaxBackward" : "SoftmaxBackward", output: output, inputs: [input], saved: [saved]) {
        gradOutput, _ in
        let gradInput = Tensor.uninitialized(saved.shape)
        SoftmaxKernel.backward(
            gradOutput: gradOutput.pointer, output: saved.pointer, gradInput: gradInput.pointer,
            outer: outer, size: size, inner: inner, log: log)
        return [gradInput]
    }
    return output
}

/// `log(softmax(input))` along `dim`, computed stably (`torch.nn.functional.log_softmax`). Result like input.
public func logSoftmax(_ input: Tensor, dim: Int) -> Tensor { softmax(input, dim: dim, log: true) }

/// `exp(x) / sum(exp(x))` along `dim`, max-subtracted (`torch.nn.functional.softmax`). Result like input.
public func softmax(_ input: Tensor, dim: Int) -> Tensor { softmax(input, dim: dim, log: false) }
