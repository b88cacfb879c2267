import CKernels

/// Batch-normalisation loops over NCHW batches, per channel; sums are accumulated in Double as ATen's CPU kernels
/// do (`at::native::batch_norm_cpu`, aten/src/ATen/native/Normalization.cpp).
///
/// Shapes: input/output `[N, C, P]` with `P = H * W`; per-channel vectors `[C]`.
public enum BatchNormKernel {
    /// Per-channel mean, BIASED variance, and `invstd = 1 / sqrt(variance + eps)` (computed in Double and rounded
    /// once, as ATen does) over the `N * P` values of each channel.
    public static func statistics(
        input: UnsafePointer<Float>, batch: Int, channels: Int, plane: Int, eps: Float,
        mean: UnsafeMutablePointer<Float>, variance: UnsafeMutablePointer<Float>, invstd: UnsafeMutablePointer<Float>
    ) {
        let count = Double(batch * plane)
        if plane < smallPlane {
            parallelFor(channels, grain: max(1, 32_768 / max(batch * plane, 1))) { range in
                withChannelScratch(range, doubles: 2) { shift, sums in
                    for c in range { shift[c - range.lowerBound] = input[c * plane] }
                    tl_channel_shifted_sums(
                        input, batch, channels, plane, range.lowerBound, range.upperBound,
                        shift - range.lowerBound, sums - range.lowerBound, sums + range.count - range.lowerBound)
                    for c in range {
                        let (sum, squares) = (sums[c - range.lowerBound], sums[range.count + c - range.lowerBound])
                        let centered = sum / count
                        let biased = max(squares / count - centered * centered, 0)
                        mean[c] = Float(Double(shift[c - range.lowerBound]) + centered)
                        variance[c] = Float(biased)
                        invstd[c] = Float(1 / (biased + Double(eps)).squareRoot())
                    }
                }
            }
            return
        }
        parallelFor(channels, grain: max(1, 32_768 / max(batch * plane, 1))) { channelRange in
            for c in channelRange {
                // Shifted sums (by the channel's first value) keep E[x^2] - E[x]^2 accurate in one pass.
                let shift = input[c * plane]
                var sum = 0.0
                var squares = 0.0
                for n in 0..<batch {
                    let (s, q) = shiftedSums(input + (n * channels + c) * plane, count: plane, shift: shift)
                    sum += s
                    squares += q
                }
                let centered = sum / count
                let biased = max(squares / count - centered * centered, 0)
                mean[c] = Float(Double(shift) + centered)
                variance[c] = Float(biased)
                invstd[c] = Float(1 / (biased + Double(eps)).squareRoot())
            }
        }
    }

    /// `output = (input - mean) * invstd * weight + bias`, channel by channel (weight 1 and bias 0 when absent).
    public static func normalize(
        input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int, channels: Int, plane: Int,
        mean: UnsafePointer<Float>, invstd: UnsafePointer<Float>,
        weight: UnsafePointer<Float>?, bias: UnsafePointer<Float>?
    ) {
        if plane < smallPlane {
            parallelFor(channels, grain: max(1, 32_768 / max(batch * plane, 1))) { range in
                withChannelScratch(range, floats: 2) { scales, _ in
                    let shifts = scales + range.count
                    for c in range {
                        let scale = invstd[c] * (weight?[c] ?? 1)
                        scales[c - range.lowerBound] = scale
                        shifts[c - range.lowerBound] = (bias?[c] ?? 0) - mean[c] * scale
                    }
                    tl_channel_scale_shift(
                        input, output, batch, channels, plane, range.lowerBound, range.upperBound,
                        scales - range.lowerBound, shifts - range.lowerBound)
                }
            }
            return
        }
        parallelFor(channels, grain: max(1, 32_768 / max(batch * plane, 1))) { channelRange in
            for c in channelRange {
                let scale = invstd[c] * (weight?[c] ?? 1)
                let shift = (bias?[c] ?? 0) - mean[c] * scale
                for n in 0..<batch {
                    let offset = (n * channels + c) * plane
                    tl_scale_shift(input + offset, output + offset, plane, scale, shift)
                }
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
        if plane < smallPlane {
            parallelFor(channels, grain: max(1, 32_768 / max(batch * plane, 1))) { range in
                let (low, width) = (range.lowerBound, range.count)
                withChannelScratch(range, floats: 4, doubles: 2) { values, sums in
                    tl_channel_gradient_sums(
                        gradOutput, input, batch, channels, plane, low, range.upperBound, mean, sums - low,
                        sums + width - low)
                    // values: mean(dy), projection, scale, and a zero shift (eval mode), per channel of the range
                    for c in range {
                        let (sumDy, sumDyCentered) = (sums[c - low], sums[width + c - low])
                        let inv = invstd[c]
                        gradWeight?[c] = Float(sumDyCentered) * inv
                        gradBias?[c] = Float(sumDy)
                        values[c - low] = Float(sumDy / count)
                        values[width + c - low] = Float(sumDyCentered / count) * inv * inv
                        values[2 * width + c - low] = (weight?[c] ?? 1) * inv
                        values[3 * width + c - low] = 0
                    }
                    guard let gradInput else { return }
                    if training {
                        tl_channel_batch_norm_backward(
                            gradOutput, input, gradInput, batch, channels, plane, low, range.upperBound, values - low,
                            mean, values + width - low, values + 2 * width - low)
                    } else {
                        tl_channel_scale_shift(
                            gradOutput, gradInput, batch, channels, plane, low, range.upperBound,
                            values + 2 * width - low, values + 3 * width - low)
                    }
                }
            }
            return
        }
        parallelFor(channels, grain: max(1, 32_768 / max(batch * plane, 1))) { channelRange in
            for c in channelRange {
                let mu = mean[c]
                let inv = invstd[c]
                var sumDy = 0.0
                var sumDyCentered = 0.0
                for n in 0..<batch {
                    let offset = (n * channels + c) * plane
                    let dy = gradOutput + offset
                    let x = input + offset
                    let (a, b) = gradientSums(dy, x, count: plane, mean: mu)
                    sumDy += a
                    sumDyCentered += b
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
                        tl_batch_norm_backward(
                            gradOutput + offset, input + offset, gradInput + offset, plane, meanDy, mu, projection,
                            scale)
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
}

extension BatchNormKernel {
    /// Planes (`H * W`) smaller than this go through the channel-range C loops (`tl_channel_*`): one call per task
    /// rather than one per sample and channel, whose overhead outweighed the work (a b64x32 training step's batch
    /// norms have planes of 256, 64, 16, 4 and 1).
    static let smallPlane = 64

    /// Runs `body` with uninitialised scratch for `floats` and `doubles` values per channel of `range` (on the
    /// stack: a range is at most a few thousand channels).
    @inline(__always)
    static func withChannelScratch(
        _ range: Range<Int>, floats: Int = 1, doubles: Int = 1,
        _ body: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Double>) -> Void
    ) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: max(floats * range.count, 1)) { floatBuffer in
            withUnsafeTemporaryAllocation(of: Double.self, capacity: max(doubles * range.count, 1)) { doubleBuffer in
                body(floatBuffer.baseAddress!, doubleBuffer.baseAddress!)
            }
        }
    }
}

/// `sum(x - shift)` and `sum((x - shift)^2)` over `count` floats, accumulated in Double (ATen's CPU
/// `acc_type<float>`) in eight lanes (C, dispatched to the CPU's widest vectors: `Sources/CKernels`).
@inline(__always)
func shiftedSums(_ values: UnsafePointer<Float>, count: Int, shift: Float) -> (Double, Double) {
    var (sum, squares) = (0.0, 0.0)
    tl_shifted_sums(values, count, shift, &sum, &squares)
    return (sum, squares)
}

/// `sum(dy)` and `sum(dy * (x - mean))` over `count` elements, accumulated in Double in eight lanes (C, as above).
@inline(__always)
func gradientSums(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, count: Int, mean: Float) -> (Double, Double) {
    var (sum, centered) = (0.0, 0.0)
    tl_gradient_sums(dy, x, count, mean, &sum, &centered)
    return (sum, centered)
}
