/// Element-wise loops over contiguous Float buffers of `count` elements.
public enum Elementwise {
    /// `output = max(input, 0)` (`torch.relu`); NaN stays NaN, as in PyTorch.
    public static func relu(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, count: Int) {
        parallelFor(count) { range in reluRange(input, output, range) }
    }

    /// `gradInput = output <= 0 ? 0 : gradOutput` (`threshold_backward` on ReLU's result; NaN passes the gradient).
    public static func reluBackward(
        gradOutput: UnsafePointer<Float>, output: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>,
        count: Int
    ) {
        parallelFor(count) { range in reluBackwardRange(gradOutput, output, gradInput, range) }
    }

    /// `output = a + alpha * b`.
    public static func add(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, alpha: Float = 1,
        _ output: UnsafeMutablePointer<Float>, count: Int
    ) {
        parallelFor(count) { range in addRange(a, b, alpha, output, range) }
    }

    /// `output = a * b`.
    public static func multiply(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, count: Int
    ) {
        for i in 0..<count { output[i] = a[i] * b[i] }
    }

    /// `output = a * scalar`.
    public static func scale(
        _ a: UnsafePointer<Float>, by scalar: Float, _ output: UnsafeMutablePointer<Float>, count: Int
    ) {
        for i in 0..<count { output[i] = a[i] * scalar }
    }

    /// `target += alpha * source` (BLAS axpy).
    public static func accumulate(
        _ source: UnsafePointer<Float>, alpha: Float = 1, into target: UnsafeMutablePointer<Float>, count: Int
    ) {
        for i in 0..<count { target[i] += alpha * source[i] }
    }

    /// The sum of `count` values, accumulated in Double.
    public static func sum(_ input: UnsafePointer<Float>, count: Int) -> Double {
        var total = 0.0
        var start = 0
        // Float partial sums over short blocks keep the loop vectorised; Double keeps long sums accurate.
        while start < count {
            let end = min(count, start + 256)
            var partial: Float = 0
            for i in start..<end { partial += input[i] }
            total += Double(partial)
            start = end
        }
        return total
    }

    // The loop bodies are plain functions, not closure bodies: inside a closure the pointers live in the closure
    // context, which every store might alias, so the loop would reload them and not vectorise.

    // ReLU and its backward run in explicit lanes: written as scalar selects, LLVM turned the backward into a
    // branch per element (it may not load gradOutput where the select does not need it), 6% of a training step.
    typealias Lanes = SIMD16<Float>

    /// `output[i] = f(a[i], b[i])` over `range`, sixteen lanes at a time (the tail one value at a time, splatted).
    @inline(__always)
    private static func mapLanes(
        _ range: Range<Int>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
        into output: UnsafeMutablePointer<Float>, _ f: (Lanes, Lanes) -> Lanes
    ) {
        var i = range.lowerBound
        while i + Lanes.scalarCount <= range.upperBound {
            let x = UnsafeRawPointer(a + i).loadUnaligned(as: Lanes.self)
            let y = UnsafeRawPointer(b + i).loadUnaligned(as: Lanes.self)
            UnsafeMutableRawPointer(output + i).storeBytes(of: f(x, y), as: Lanes.self)
            i += Lanes.scalarCount
        }
        while i < range.upperBound {
            output[i] = f(Lanes(repeating: a[i]), Lanes(repeating: b[i]))[0]
            i += 1
        }
    }

    private static func reluRange(
        _ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, _ range: Range<Int>
    ) {
        mapLanes(range, input, input, into: output) { x, _ in x.replacing(with: 0, where: x .<= 0) }
    }

    private static func reluBackwardRange(
        _ gradOutput: UnsafePointer<Float>, _ output: UnsafePointer<Float>, _ gradInput: UnsafeMutablePointer<Float>,
        _ range: Range<Int>
    ) {
        mapLanes(range, gradOutput, output, into: gradInput) { g, y in g.replacing(with: 0, where: y .<= 0) }
    }

    private static func addRange(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ alpha: Float, _ output: UnsafeMutablePointer<Float>,
        _ range: Range<Int>
    ) {
        if alpha == 1 {
            for i in range { output[i] = a[i] + b[i] }
        } else {
            for i in range { output[i] = a[i] + alpha * b[i] }
        }
    }
}
