import Kernels

extension Tensor {
    /// Element-wise sum of two tensors of the same shape (`torch.add`), e.g. a residual connection.
    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor {
        require(lhs.shape == rhs.shape, "add: shapes \(lhs.shape) and \(rhs.shape) differ")
        let output = Tensor.uninitialized(lhs.shape)
        Elementwise.add(lhs.pointer, rhs.pointer, output.pointer, count: lhs.count)
        record("AddBackward", output: output, inputs: [lhs, rhs]) { gradOutput, needs in
            [needs[0] ? gradOutput : nil, needs[1] ? gradOutput : nil]
        }
        return output
    }

    /// Element-wise difference of two tensors of the same shape (`torch.sub`).
    public static func - (lhs: Tensor, rhs: Tensor) -> Tensor {
        require(lhs.shape == rhs.shape, "sub: shapes \(lhs.shape) and \(rhs.shape) differ")
        let output = Tensor.uninitialized(lhs.shape)
        Elementwise.add(lhs.pointer, rhs.pointer, alpha: -1, output.pointer, count: lhs.count)
        record("SubBackward", output: output, inputs: [lhs, rhs]) { gradOutput, needs in
            [needs[0] ? gradOutput : nil, needs[1] ? gradOutput * -1 : nil]
        }
        return output
    }

    /// Element-wise product of two tensors of the same shape (`torch.mul`).
    public static func * (lhs: Tensor, rhs: Tensor) -> Tensor {
        require(lhs.shape == rhs.shape, "mul: shapes \(lhs.shape) and \(rhs.shape) differ")
        let output = Tensor.uninitialized(lhs.shape)
        Elementwise.multiply(lhs.pointer, rhs.pointer, output.pointer, count: lhs.count)
        let (savedLhs, savedRhs) = (lhs.detach(), rhs.detach())
        record("MulBackward", output: output, inputs: [lhs, rhs], saved: [savedLhs, savedRhs]) { gradOutput, needs in
            [needs[0] ? gradOutput * savedRhs : nil, needs[1] ? gradOutput * savedLhs : nil]
        }
        return output
    }

    /// Every element times a constant (`tensor * scalar`).
    public static func * (lhs: Tensor, rhs: Float) -> Tensor {
        let output = Tensor.uninitialized(lhs.shape)
        Elementwise.scale(lhs.pointer, by: rhs, output.pointer, count: lhs.count)
        record("MulBackward", output: output, inputs: [lhs]) { gradOutput, _ in [gradOutput * rhs] }
        return output
    }

    /// Every element times a constant (`scalar * tensor`).
    public static func * (lhs: Float, rhs: Tensor) -> Tensor { rhs * lhs }

    /// Negation (`-tensor`).
    public static prefix func - (operand: Tensor) -> Tensor { operand * -1 }
}
