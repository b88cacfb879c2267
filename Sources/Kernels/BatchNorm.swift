/// Batch-normalisation loops over NCHW batches, per channel; sums are accumulated in Double as ATen's CPU kernels
/// do (`at::native::batch_norm_cpu`, aten/src/ATen/native/Normalization.cpp).
///
/// Shapes: input/output `[N, C, P]` with `P = H * W`; per-channel vectors `[C]`.
public enum BatchNormKernel {
    /// Per-channel mean and BIASED variance over the `N * P` values of each channel.
    public static func statistics(
        input: UnsafePointer<Float>, batch: Int, channels: Int, plane: Int,
        mean: UnsafeMutablePointer<Float>, variance: UnsafeMutablePointer<Float>
    ) {
        let count = Double(batch * plane)
        for c in 0..<channels {
            var sum = 0.0
            for n in 0..<batch { sum += sumDouble(input + (n * channels + c) * plane, count: plane) }
            let mu = sum / count
            var squares = 0.0
            for n in 0..<batch {
                let row = input + (n * channels + c) * plane
                for p in 0..<plane {
                    let d = Double(row[p]) - mu
                    squares += d * d
                }
            }
            mean[c] = Float(mu)
            variance[c] = Float(squares / count)
        }
    }

    /// `output = (input - mean) * invstd * weight + bias`, channel by channel (weight 1 and bias 0 when absent).
    public static func normalize(
        input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int, channels: Int, plane: Int,
        mean: UnsafePointer<Float>, invstd: UnsafePointer<Float>,
        weight: UnsafePointer<Float>?, bias: UnsafePointer<Float>?
    ) {
        for c in 0..<channels {
            let scale = invstd[c] * (weight?[c] ?? 1)
            let shift = (bias?[c] ?? 0) - mean[c] * scale
            for n in 0..<batch {
                let offset = (n * channels + c) * plane
                let src = input + offset
                let dst = output + offset
                for p in 0..<plane { dst[p] = src[p] * scale + shift }
            }
        }
    }

    /// Gradients of ``normalize(input:output:batch:channels:plane:mean:invstd:weight:bias:)``.
    ///
    /// With `training` the mean and invstd are the batch's own statistics and the gradient flows through them:
    /// `dx = w * invstd * (dy - mean(dy) - xhat * mean(dy * xhat))`; otherwise they are constants (running
    /// statistics): `dx = w * invstd * dy`. In both cases `dweight = sum(dy * xhat)`, `dbias = sum(dy)`.
    public static func backward(
        gradOutput: UnsafePointer<Float>, input: UnsafePointer<Float>, batch: Int, channels: Int, plane: Int,
        mean: UnsafePointer<Float>, invstd: UnsafePointer<Float>, weight: UnsafePointer<Float>?, training: Bool,
        gradInput: UnsafeMutablePointer<Float>?, gradWeight: UnsafeMutablePointer<Float>?,
        gradBias: UnsafeMutablePointer<Float>?
    ) {
        let count = Double(batch * plane)
        for c in 0..<channels {
            let mu = mean[c]
            let inv = invstd[c]
            var sumDy = 0.0
            var sumDyCentered = 0.0
            for n in 0..<batch {
                let offset = (n * channels + c) * plane
                let dy = gradOutput + offset
                let x = input + offset
                let mean = Double(mu)
                for p in 0..<plane {
                    let g = Double(dy[p])
                    sumDy += g
                    sumDyCentered += g * (Double(x[p]) - mean)
                }
            }
            gradWeight?[c] = Float(sumDyCentered) * inv
            gradBias?[c] = Float(sumDy)
            guard let gradInput else { continue }
            let w = weight?[c] ?? 1
            if training {
                let meanDy = Float(sumDy / count)
                // xhat * mean(dy * xhat) = (x - mu) * inv^2 * mean(dy * (x - mu))
                let projection = Float(sumDyCentered / count) * inv * inv
                let scale = w * inv
                for n in 0..<batch {
                    let offset = (n * channels + c) * plane
                    let dy = gradOutput + offset
                    let x = input + offset
                    let dx = gradInput + offset
                    for p in 0..<plane { dx[p] = (dy[p] - meanDy - (x[p] - mu) * projection) * scale }
                }
            } else {
                let scale = w * inv
                for n in 0..<batch {
                    let offset = (n * channels + c) * plane
                    let dy = gradOutput + offset
                    let dx = gradInput + offset
                    for p in 0..<plane { dx[p] = dy[p] * scale }
                }
            }
        }
    }
}

/// The sum of `count` floats accumulated in Double (ATen's CPU `acc_type<float>`).
@inline(__always)
func sumDouble(_ values: UnsafePointer<Float>, count: Int) -> Double {
    var total = 0.0
    for i in 0..<count { total += Double(values[i]) }
    return total
}
