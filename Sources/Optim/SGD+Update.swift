import Kernels
import Tensors

extension SGD {
    /// Applies one SGD step to `parameter` in a single pass over its elements (the loop body of
    /// `_single_tensor_sgd`); `bufferIsNew` makes this the buffer's first step, which copies `g` into it.
    static func update(_ parameter: Tensor, grad: Tensor, momentumBuffer: Tensor?, bufferIsNew: Bool, group: Group) {
        // PyTorch converts each Python scalar to float32 at the kernel; `1 - dampening` is computed in double first.
        let scalars = Scalars(
            negativeLR: Float(-group.lr), weightDecay: Float(group.weightDecay), momentum: Float(group.momentum),
            keep: Float(1 - group.dampening), hasWeightDecay: group.weightDecay != 0, nesterov: group.nesterov,
            maximize: group.maximize, bufferIsNew: bufferIsNew)
        parameter.withUnsafeMutableBufferPointer { p in
            grad.withUnsafeBufferPointer { g in
                guard let p = p.baseAddress, let g = g.baseAddress, parameter.count > 0 else { return }
                // Large parameters are split across cores (a memory-bound pass over 3 to 5 arrays).
                if let momentumBuffer {
                    momentumBuffer.withUnsafeMutableBufferPointer { b in
                        let buffer = b.baseAddress
                        parallelFor(parameter.count, grain: 65_536) { range in
                            step(p + range.lowerBound, g + range.lowerBound, buffer.map { $0 + range.lowerBound },
                                 count: range.count, scalars)
                        }
                    }
                } else {
                    parallelFor(parameter.count, grain: 65_536) { range in
                        step(p + range.lowerBound, g + range.lowerBound, nil, count: range.count, scalars)
                    }
                }
            }
        }
    }

    /// The float32 hyperparameters of one step.
    struct Scalars {
        let negativeLR: Float
        let weightDecay: Float
        let momentum: Float
        /// `1 - dampening`.
        let keep: Float
        let hasWeightDecay: Bool
        let nesterov: Bool
        let maximize: Bool
        let bufferIsNew: Bool
    }

    /// The element loops: `p`, `g` and (with momentum) `buffer` hold `count` floats. The loop without momentum is
    /// separate, and the scalars are copied into locals, so that the compiler vectorises the loops.
    private static func step(
        _ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ buffer: UnsafeMutablePointer<Float>?,
        count: Int, _ s: Scalars
    ) {
        let (maximize, hasWeightDecay, weightDecay, negativeLR) = (s.maximize, s.hasWeightDecay, s.weightDecay,
                                                                  s.negativeLR)
        guard let buffer else {
            for i in 0..<count {
                var d = maximize ? -g[i] : g[i]
                if hasWeightDecay { d = d + weightDecay * p[i] }
                p[i] = p[i] + negativeLR * d
            }
            return
        }
        let (momentum, keep, nesterov, bufferIsNew) = (s.momentum, s.keep, s.nesterov, s.bufferIsNew)
        for i in 0..<count {
            var d = maximize ? -g[i] : g[i]
            if hasWeightDecay { d = d + weightDecay * p[i] }
            let b = bufferIsNew ? d : buffer[i] * momentum + keep * d
            buffer[i] = b
            d = nesterov ? d + momentum * b : b
            p[i] = p[i] + negativeLR * d
        }
    }
}
