import Kernels

extension Tensor {
    /// The sum of all elements as a 0-d tensor (`torch.sum`), accumulated in Double.
    public func sum() -> Tensor {
        let output = Tensor(Float(Elementwise.sum(pointer, count: count)))
        let inputShape = shape
        record("SumBackward", output: output, inputs: [self]) { gradOutput, _ in
            [Tensor.full(inputShape, gradOutput.item())]
        }
        return output
    }

    /// The mean of all elements as a 0-d tensor (`torch.mean`).
    public func mean() -> Tensor {
        require(count > 0, "mean of an empty tensor")
        let output = Tensor(Float(Elementwise.sum(pointer, count: count) / Double(count)))
        let (inputShape, n) = (shape, Float(count))
        record("MeanBackward", output: output, inputs: [self]) { gradOutput, _ in
            [Tensor.full(inputShape, gradOutput.item() / n)]
        }
        return output
    }
}
