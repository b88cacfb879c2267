import Tensors

/// Separable resampling of `[C, H, W]` images: one horizontal pass over every row, then one vertical pass,
/// each with weights precomputed per output column or row (``ResampleTaps``), as PyTorch's
/// `separable_upsample_generic_Nd_kernel_impl` does (width first, then height; an unchanged side is skipped).
enum Resample {
    /// `image` resized to `height x width`: antialiased bilinear (`_upsample_bilinear2d_aa`) or plain bilinear
    /// (`upsample_bilinear2d`), both with `align_corners=False`. Returns `image` itself when the size is unchanged.
    static func resize(_ image: Tensor, height: Int, width: Int, antialias: Bool) -> Tensor {
        let (channels, inHeight, inWidth) = (image.shape[0], image.shape[1], image.shape[2])
        if inHeight == height && inWidth == width { return image }
        var current = image
        if inWidth != width {
            let taps =
                antialias
                ? ResampleTaps.antialiased(from: inWidth, to: width)
                : ResampleTaps.bilinear(from: inWidth, to: width)
            let next = Tensor.zeros([channels, inHeight, width])
            horizontal(current, rows: channels * inHeight, taps: taps, into: next)
            current = next
        }
        if inHeight != height {
            let taps =
                antialias
                ? ResampleTaps.antialiased(from: inHeight, to: height)
                : ResampleTaps.bilinear(from: inHeight, to: height)
            let next = Tensor.zeros([channels, height, width])
            vertical(current, planes: channels, width: width, taps: taps, into: next)
            current = next
        }
        return current
    }

    /// Resamples each of `rows` contiguous rows of `taps.inputSize` values to `taps.outputSize` values.
    static func horizontal(_ source: Tensor, rows: Int, taps: ResampleTaps, into output: Tensor) {
        let (inWidth, outWidth, stride) = (taps.inputSize, taps.outputSize, taps.stride)
        source.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { result in
                taps.counts.withUnsafeBufferPointer { counts in
                    taps.indices.withUnsafeBufferPointer { indices in
                        taps.weights.withUnsafeBufferPointer { weights in
                            for row in 0..<rows {
                                let from = input.baseAddress! + row * inWidth
                                let to = result.baseAddress! + row * outWidth
                                for x in 0..<outWidth {
                                    let base = x * stride
                                    var sum: Float = 0
                                    if counts[x] > 0 { sum = from[indices[base]] * weights[base] }
                                    var j = 1
                                    while j < counts[x] {
                                        sum += from[indices[base + j]] * weights[base + j]
                                        j += 1
                                    }
                                    to[x] = sum
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Resamples `planes` planes of `taps.inputSize` rows of `width` values to `taps.outputSize` rows: each output
    /// row accumulates whole weighted input rows (contiguous, vectorizable), tap by tap in order.
    static func vertical(_ source: Tensor, planes: Int, width: Int, taps: ResampleTaps, into output: Tensor) {
        let (inHeight, outHeight, stride) = (taps.inputSize, taps.outputSize, taps.stride)
        source.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { result in
                for plane in 0..<planes {
                    let from = input.baseAddress! + plane * inHeight * width
                    for y in 0..<outHeight {
                        let to = result.baseAddress! + (plane * outHeight + y) * width
                        let base = y * stride
                        let count = taps.counts[y]
                        guard count > 0 else { continue }
                        let first = from + taps.indices[base] * width
                        let weight = taps.weights[base]
                        for x in 0..<width { to[x] = first[x] * weight }
                        for j in 1..<count {
                            let row = from + taps.indices[base + j] * width
                            let weight = taps.weights[base + j]
                            for x in 0..<width { to[x] += row[x] * weight }
                        }
                    }
                }
            }
        }
    }
}
