/// Max pooling over NCHW batches with `-inf` padding, recording the argmax of every window
/// (`at::native::max_pool2d_with_indices`). Uses ``ConvGeometry`` with `outChannels == inChannels`.
///
/// Shapes: input `[N, C, H, W]`; output and indices `[N, C, Ho, Wo]`; an index is the flat `h * W + w` position in
/// its input plane.
public enum MaxPoolKernel {
    public static func forward(
        input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, indices: UnsafeMutablePointer<Int32>,
        geometry g: ConvGeometry
    ) {
        let (ho, wo) = (g.outHeight, g.outWidth)
        let inPlane = g.height * g.width
        for plane in 0..<(g.batch * g.inChannels) {
            let src = input + plane * inPlane
            let dst = output + plane * ho * wo
            let idx = indices + plane * ho * wo
            for oh in 0..<ho {
                for ow in 0..<wo {
                    var best = -Float.infinity
                    var bestIndex: Int32 = -1
                    for ki in 0..<g.kernelHeight {
                        let ih = oh * g.strideH - g.padH + ki * g.dilationH
                        if ih < 0 || ih >= g.height { continue }
                        for kj in 0..<g.kernelWidth {
                            let iw = ow * g.strideW - g.padW + kj * g.dilationW
                            if iw < 0 || iw >= g.width { continue }
                            let v = src[ih * g.width + iw]
                            if v > best || v.isNaN || bestIndex < 0 {
                                best = v
                                bestIndex = Int32(ih * g.width + iw)
                            }
                        }
                    }
                    dst[oh * wo + ow] = best
                    idx[oh * wo + ow] = bestIndex
                }
            }
        }
    }

    /// Scatters each output gradient to the input position that won its window (`gradInput` is overwritten).
    public static func backward(
        gradOutput: UnsafePointer<Float>, indices: UnsafePointer<Int32>, gradInput: UnsafeMutablePointer<Float>,
        geometry g: ConvGeometry
    ) {
        let outPlane = g.outHeight * g.outWidth
        let inPlane = g.height * g.width
        gradInput.update(repeating: 0, count: g.batch * g.inChannels * inPlane)
        for plane in 0..<(g.batch * g.inChannels) {
            let dy = gradOutput + plane * outPlane
            let idx = indices + plane * outPlane
            let dx = gradInput + plane * inPlane
            for p in 0..<outPlane where idx[p] >= 0 { dx[Int(idx[p])] += dy[p] }
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
