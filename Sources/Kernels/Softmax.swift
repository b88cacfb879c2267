import Foundation

/// Softmax and log-softmax along one axis of a contiguous tensor viewed as `[outer, size, inner]`
/// (`at::native::softmax` / `log_softmax`, aten/src/ATen/native/SoftMax.cpp), max-subtracted for stability.
public enum SoftmaxKernel {
    /// Writes `log_softmax` (when `log`) or `softmax` of `input` into `output`.
    public static func forward(
        _ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, outer: Int, size: Int, inner: Int,
        log: Bool
    ) {
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * size * inner + i
                var maximum = -Float.infinity
                for c in 0..<size { maximum = max(maximum, input[base + c * inner]) }
                var sum = 0.0
                for c in 0..<size { sum += Double(Foundation.exp(input[base + c * inner] - maximum)) }
                if log {
                    let logSum = Float(Foundation.log(sum))
                    for c in 0..<size { output[base + c * inner] = input[base + c * inner] - maximum - logSum }
                } else {
                    let inverse = Float(1 / sum)
                    for c in 0..<size {
                        output[base + c * inner] = Foundation.exp(input[base + c * inner] - maximum) * inverse
                    }
                }
            }
        }
    }

    /// Gradient of ``forward(_:_:outer:size:inner:log:)`` from its output `y`:
    /// log-softmax `dx = dy - exp(y) * sum(dy)`; softmax `dx = y * (dy - sum(dy * y))`.
    public static func backward(
        gradOutput: UnsafePointer<Float>, output: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>,
        outer: Int, size: Int, inner: Int, log: Bool
    ) {
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * size * inner + i
                var sum: Float = 0
                if log {
                    for c in 0..<size { sum += gradOutput[base + c * inner] }
                    for c in 0..<size {
                        let k = base + c * inner
                        gradInput[k] = gradOutput[k] - Foundation.exp(output[k]) * sum
                    }
                } else {
                    for c in 0..<size { sum += gradOutput[base + c * inner] * output[base + c * inner] }
                    for c in 0..<size {
                        let k = base + c * inner
                        gradInput[k] = output[k] * (gradOutput[k] - sum)
                    }
                }
            }
        }
    }
}
