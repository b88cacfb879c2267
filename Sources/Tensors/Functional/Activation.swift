import Kernels

/// Rectified linear unit, `max(x, 0)` element-wise (`torch.relu`). Shape: any; result like input.
public func relu(_ input: Tensor) -> Tensor {
    let output = Tensor.uninitialized(input.shape)
    Elementwise.relu(input.pointer, output.pointer, count: input.count)
    let saved = output.detach()
    record("ReluBackward", output: output, inputs: [input], saved: [saved]) { gradOutput, _ in
        let gradInput = Tensor.uninitialized(saved.shape)
        Elementwise.reluBackward(
            gradOutput: gradOutput.pointer, output: saved.pointer,
            gradInput: gradInput.pointer, count: saved.count)
        return [gradInput]
    }
    return output
}
