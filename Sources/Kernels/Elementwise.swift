import CKernels

/// Element-wise loops over contiguous Float buffers of `count` elements.
///
/// ReLU, its backward and addition run in C compiled for AVX-512, AVX2 and baseline x86-64, the clone matching the
/// CPU chosen at load time (`Sources/CKernels`: Swift's generic SIMD types compile for SSE2 only); each core takes
/// one contiguous range (``parallelFor(_:grain:_:)``).
public enum Elementwise {
    /// `output = max(input, 0)` (`torch.relu`); NaN stays NaN, as in PyTorch.
    public static func relu(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, count: Int) {
        parallelFor(count) { range in tl_relu(input + range.lowerBound, output + range.lowerBound, range.count) }
    }

    /// `gradInput = output <= 0 ? 0 : gradOutput` (`threshold_backward` on ReLU's result; NaN passes the gradient).
    public static func reluBackward(
        gradOutput: UnsafePointer<Float>, output: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>,
        count: Int
    ) {
        parallelFor(count) { range in
            let i = range.lowerBound
            tl_relu_backward(gradOutput + i, output + i, gradInput + i, range.count)
        }
    }

    /// `output = a + alpha * b`.
    public static func add(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, alpha: Float = 1,
        _ output: UnsafeMutablePointer<Float>, count: Int
    ) {
        parallelFor(count) { range in
            let i = range.lowerBound
            tl_add(a + i, b + i, alpha, output + i, range.count)
        }
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
}
