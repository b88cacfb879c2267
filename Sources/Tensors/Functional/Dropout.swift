import Kernels

/// Zeroes each element with probability `p` and scales the rest by `1 / (1 - p)` when `training`
/// (`torch.nn.functional.dropout`); the identity otherwise. The mask comes from `random` (seeded, portable).
///
/// Shape: any; result like input.
public func dropout(_ input: Tensor, p: Float, training: Bool, random: PortableRandom) -> Tensor {
    require((0...1).contains(p), "dropout probability has to be between 0 and 1, but got \(p)")
    guard training, p > 0 else { return input }
    let scale: Float = p == 1 ? 0 : 1 / (1 - p)
    let mask = Tensor(shape: input.shape, values: random.values(input.count) { $0 < p ? 0 : scale })
    let output = Tensor.uninitialized(input.shape)
    Elementwise.multiply(input.pointer, mask.pointer, output.pointer, count: input.count)
    record("NativeDropoutBackward", output: output, inputs: [input]) { gradOutput, _ in [gradOutput * mask] }
    return output
}
