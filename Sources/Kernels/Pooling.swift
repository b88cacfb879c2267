/// Max pooling over NCHW batches with `-inf` padding, recording the argmax of every window
/// (`at::native::max_pool2d_with_indices`). Uses ``ConvGeometry`` with `outChannels == inChannels`.
///
/// Shapes: input `[N, C, H, W]`; output and indices `[N, C, Ho, Wo]`; an index is the flat `h * W + w` position in
/// its input plane.
public enum MaxPoolKernel {
    public static func forward(
        input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, indices: UnsafeMutablePointer<Int32>?,
        geometry g: ConvGeometry
    ) {
        // Window taps inside the image, per output row and column, computed once.
        let rows = (0..<g.outHeight).map { tapRange(output: $0, stride: g.strideH, pad: g.padH,
                                                     dilation: g.dilationH, kernel: g.kernelHeight, size: g.height) }
        let columns = (0..<g.outWidth).map { tapRange(output: $0, stride: g.strideW, pad: g.padW,
                                                      dilation: g.dilationW, kernel: g.kernelWidth, size: g.width) }
        rows.withUnsafeBufferPointer { rows in
            columns.withUnsafeBufferPointer { columns in
                parallelFor(g.batch * g.inChannels, grain: max(1, 16_384 / max(g.outPlane * 4, 1))) { planes in
                    forwardPlanes(planes, input: input, output: output, indices: indices, geometry: g, rows: rows,
                                  columns: columns)
                }
            }
        }
    }

    /// The body of ``forward(input:output:indices:geometry:)`` for some planes: a plain function, so that the
    /// geometry stays in registers rather than in a closure context that every store might alias.
    private static func forwardPlanes(
        _ planes: Range<Int>, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
        indices: UnsafeMutablePointer<Int32>?, geometry g: ConvGeometry,
        rows: UnsafeBufferPointer<(Int, Int)>, columns: UnsafeBufferPointer<(Int, Int)>
    ) {
        let (ho, wo) = (g.outHeight, g.outWidth)
        let (width, inPlane) = (g.width, g.height * g.width)
        let (strideH, strideW, padH, padW, dilationH, dilationW) = (g.strideH, g.strideW, g.padH, g.padW,
                                                                    g.dilationH, g.dilationW)
        for plane in planes {
            let src = input + plane * inPlane
            let dst = output + plane * ho * wo
            let idx = indices.map { $0 + plane * ho * wo }
            for oh in 0..<ho {
                let (k0, k1) = rows[oh]
                let ihBase = oh * strideH - padH
                for ow in 0..<wo {
                    let (j0, j1) = columns[ow]
                    let iwBase = ow * strideW - padW
                    // As PyTorch: start from -inf at the first tap inside the image (a window wholly in the
                    // padding keeps -inf), and take a later tap when `value > best || isnan(value)`.
                    var bestIndex = (ihBase + k0 * dilationH) * width + iwBase + j0 * dilationW
                    // Starting from the first tap's value is the same as from -inf (it is taken unless it is
                    // -inf, which leaves -inf at that index either way) and saves a store per output.
                    var best = k0 < k1 && j0 < j1 ? src[bestIndex] : -Float.infinity
                    for ki in k0..<k1 {
                        let row = (ihBase + ki * dilationH) * width + iwBase
                        for kj in j0..<j1 {
                            let position = row + kj * dilationW
                            let v = src[position]
                            // `!(v <= best)` holds when v > best, v is NaN or best is NaN; PyTorch's test is
                            // `v > best || isnan(v)`, so a NaN best only yields to a later NaN.
                            if !(v <= best), !best.isNaN || v.isNaN {
                                best = v
                                bestIndex = position
                            }
                        }
                    }
                    dst[oh * wo + ow] = best
                    idx?[oh * wo + ow] = Int32(bestIndex)
                }
            }
        }
    }

    /// The kernel taps `[first, end)` of output position `output` that fall inside `0..<size`.
    static func tapRange(output: Int, stride: Int, pad: Int, dilation: Int, kernel: Int, size: Int) -> (Int, Int) {
        let start = output * stride - pad
        var first = 0
        while first < kernel && start + first * dilation < 0 { first += 1 }
        var end = kernel
        while end > first && start + (end - 1) * dilation >= size { end -= 1 }
        return (first, end)
    }

    /// Scatters each output gradient to the input position that won its window (`gradInput` is overwritten).
    public static func backward(
        gradOutput: UnsafePointer<Float>, indices: UnsafePointer<Int32>, gradInput: UnsafeMutablePointer<Float>,
        geometry g: ConvGeometry
    ) {
        let outPlane = g.outHeight * g.outWidth
        let inPlane = g.height * g.width
        parallelFor(g.batch * g.inChannels, grain: max(1, 16_384 / max(inPlane, 1))) { planes in
            for plane in planes {
                let dy = gradOutput + plane * outPlane
                let idx = indices + plane * outPlane
                let dx = gradInput + plane * inPlane
                dx.update(repeating: 0, count: inPlane)
                for p in 0..<outPlane where idx[p] >= 0 && Int(idx[p]) < inPlane { dx[Int(idx[p])] += dy[p] }
            }
        }
    }
}

/// Adaptive average pooling over NCHW planes (`at::native::adaptive_avg_pool2d`): output cell `i` averages input
/// rows `[floor(i * H / Ho), ceil((i + 1) * H / Ho))`, and likewise for columns.
///
/// Shapes: input `[planes, H, W]` (planes = N * C), output `[planes, Ho, Wo]`.
public enum AdaptiveAvgPoolKernel {
    @inline(__always)
    static func window(_ i: Int, _ input: Int, _ output: Int) -> (Int, Int) {
        (i * input / output, ((i + 1) * input + output - 1) / output)
    }

    public static func forward(
        input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, planes: Int,
        height: Int, width: Int, outHeight: Int, outWidth: Int
    ) {
        for plane in 0..<planes {
            let src = input + plane * height * width
            let dst = output + plane * outHeight * outWidth
            for oh in 0..<outHeight {
                let (h0, h1) = window(oh, height, outHeight)
                for ow in 0..<outWidth {
                    let (w0, w1) = window(ow, width, outWidth)
                    var sum: Float = 0
                    for ih in h0..<h1 {
                        for iw in w0..<w1 { sum += src[ih * width + iw] }
                    }
                    dst[oh * outWidth + ow] = sum / Float((h1 - h0) * (w1 - w0))
                }
            }
        }
    }

    /// Spreads each output gradient evenly over its window (`gradInput` is overwritten).
    public static func backward(
        gradOutput: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>, planes: Int,
        height: Int, width: Int, outHeight: Int, outWidth: Int
    ) {
        gradInput.update(repeating: 0, count: planes * height * width)
        for plane in 0..<planes {
            let dy = gradOutput + plane * outHeight * outWidth
            let dx = gradInput + plane * height * width
            for oh in 0..<outHeight {
                let (h0, h1) = window(oh, height, outHeight)
                for ow in 0..<outWidth {
                    let (w0, w1) = window(ow, width, outWidth)
                    let share = dy[oh * outWidth + ow] / Float((h1 - h0) * (w1 - w0))
                    for ih in h0..<h1 {
                        for iw in w0..<w1 { dx[ih * width + iw] += share }
                    }
                }
            }
        }
    }
}
