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

    private static func reluRange(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, _ range: Range<Int>) {
        var i = range.lowerBound
        while i + Lanes.scalarCount <= range.upperBound {
            let x = UnsafeRawPointer(input + i).loadUnaligned(as: Lanes.self)
            UnsafeMutableRawPointer(output + i).storeBytes(of: x.replacing(with: 0, where: x .<= 0), as: Lanes.self)
            i += Lanes.scalarCount
        }
        while i < range.upperBound {
            output[i] = input[i] <= 0 ? 0 : input[i]
            i += 1
        }
    }

    private static func reluBackwardRange(
        _ gradOutput: UnsafePointer<Float>, _ output: UnsafePointer<Float>, _ gradInput: UnsafeMutablePointer<Float>,
        _ range: Range<Int>
    ) {
        var i = range.lowerBound
        while i + Lanes.scalarCount <= range.upperBound {
            let y = UnsafeRawPointer(output + i).loadUnaligned(as: Lanes.self)
            let g = UnsafeRawPointer(gradOutput + i).loadUnaligned(as: Lanes.self)
            UnsafeMutableRawPointer(gradInput + i).storeBytes(of: g.replacing(with: 0, where: y .<= 0), as: Lanes.self)
            i += Lanes.scalarCount
        }
        while i < range.upperBound {
            gradInput[i] = output[i] <= 0 ? 0 : gradOutput[i]
            i += 1
        }
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
