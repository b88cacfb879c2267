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
                            step(
                                p + range.lowerBound, g + range.lowerBound, buffer.map { $0 + range.lowerBound },
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

    /// The element loops: `p`, `g` and (with momentum) `buffer` hold `count` floats, eight lanes at a time and then
    /// one at a time, with the same float32 operations in the same order either way (so the lanes change no
    /// result). Written as a scalar loop with these branches, the compiler left the update unvectorised.
    private static func step(
        _ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ buffer: UnsafeMutablePointer<Float>?,
        count: Int, _ s: Scalars
    ) {
        var i = 0
        while i + Lanes.scalarCount <= count {
            let updated = element(
                p: UnsafeRawPointer(p + i).loadUnaligned(as: Lanes.self),
                g: UnsafeRawPointer(g + i).loadUnaligned(as: Lanes.self),
                buffer: buffer.map { UnsafeRawPointer($0 + i).loadUnaligned(as: Lanes.self) }, s)
            UnsafeMutableRawPointer(p + i).storeBytes(of: updated.p, as: Lanes.self)
            if let buffer { UnsafeMutableRawPointer(buffer + i).storeBytes(of: updated.buffer, as: Lanes.self) }
            i += Lanes.scalarCount
        }
        while i < count {
            let updated = element(
                p: Lanes(repeating: p[i]), g: Lanes(repeating: g[i]),
                buffer: buffer.map { Lanes(repeating: $0[i]) }, s)
            p[i] = updated.p[0]
            buffer?[i] = updated.buffer[0]
            i += 1
        }
    }

    typealias Lanes = SIMD8<Float>

    /// One step of `_single_tensor_sgd` for eight parameters: returns the new parameters and momentum buffer.
    @inline(__always)
    private static func element(p: Lanes, g: Lanes, buffer: Lanes?, _ s: Scalars) -> (p: Lanes, buffer: Lanes) {
        var d = s.maximize ? -g : g
        if s.hasWeightDecay { d = d + s.weightDecay * p }
        guard let buffer else { return (p + s.negativeLR * d, Lanes()) }
        let b = s.bufferIsNew ? d : buffer * s.momentum + s.keep * d
        d = s.nesterov ? d + s.momentum * b : b
        return (p + s.negativeLR * d, b)
    }
}
