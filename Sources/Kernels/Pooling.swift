import CKernels

/// Max pooling over NCHW batches with `-inf` padding, recording the argmax of every window
/// (`at::native::max_pool2d_with_indices`). Uses ``ConvGeometry`` with `outChannels == inChannels`.
///
/// Shapes: input `[N, C, H, W]`; output and indices `[N, C, Ho, Wo]`; an index is the flat `h * W + w` position in
/// its input plane.
public enum MaxPoolKernel {
    /// Output columns computed together, in SIMD lanes.
    typealias Lanes = SIMD8<Float>
    typealias LaneIndices = SIMD8<Int32>

    public static func forward(
        input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, indices: UnsafeMutablePointer<Int32>?,
        geometry g: ConvGeometry
    ) {
        if indices == nil {
            valuesOnly(input: input, output: output, geometry: g)
            return
        }
        // Window taps inside the image, per output row and column, computed once.
        let rows = (0..<g.outHeight).map {
            tapRange(
                output: $0, stride: g.strideH, pad: g.padH,
                dilation: g.dilationH, kernel: g.kernelHeight, size: g.height)
        }
        let paddedWidth = (g.outWidth + Lanes.scalarCount - 1) / Lanes.scalarCount * Lanes.scalarCount
        // The first in-image column of each output column's window (lanes past the output width repeat column 0).
        let firstColumns = (0..<paddedWidth).map { ow -> Int32 in
            let column = ow < g.outWidth ? ow : 0
            let (j0, _) = tapRange(
                output: column, stride: g.strideW, pad: g.padW, dilation: g.dilationW,
                kernel: g.kernelWidth, size: g.width)
            return Int32(column * g.strideW - g.padW + j0 * g.dilationW)
        }
        rows.withUnsafeBufferPointer { rows in
            firstColumns.withUnsafeBufferPointer { firstColumns in
                parallelFor(g.batch * g.inChannels, grain: max(1, 16_384 / max(g.outPlane * 4, 1))) { planes in
                    forwardPlanes(
                        planes, input: input, output: output, indices: indices, geometry: g, rows: rows,
                        firstColumns: firstColumns.baseAddress!, paddedWidth: paddedWidth)
                }
            }
        }
    }

    /// The body of ``forward(input:output:indices:geometry:)`` for some planes, in two separable passes that
    /// give PyTorch's result exactly:
    /// 1. along each input row, the best of every output column's taps (a copy of the row padded with `-inf`
    ///    makes every tap a plain load, and taps in the padding never win);
    /// 2. down the rows of each output row's window, the best of those row results.
    ///
    /// Both passes use PyTorch's rule, in row-major tap order: start from `-inf` at the first tap inside the
    /// image, take a later value when `value > best || isnan(value)`. Row by row this keeps the first maximum
    /// (the earliest row holding it, then the earliest column in that row) and the last NaN - the same tap the
    /// one-pass scan picks. Lanes and selects rather than branches: after a ReLU the comparisons are
    /// unpredictable, and a branchy scan spent most of its time in mispredictions.
    private static func forwardPlanes(
        _ planes: Range<Int>, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
        indices: UnsafeMutablePointer<Int32>?, geometry g: ConvGeometry,
        rows: UnsafeBufferPointer<(Int, Int)>, firstColumns: UnsafePointer<Int32>, paddedWidth: Int
    ) {
        let (ho, wo, width, height) = (g.outHeight, g.outWidth, g.width, g.height)
        let (strideW, padW, dilationW, kernelW) = (g.strideW, g.padW, g.dilationW, g.kernelWidth)
        let lanes = Lanes.scalarCount
        // Row copy: padW of -inf, the row, then -inf up to the furthest load of the last lane block
        // (+ 2 * lanes for the paired load of stride 2) - or further, when a stride much wider than the kernel
        // skips the end of the row.
        let rowLength = padW + max(width, (paddedWidth - 1) * strideW + (kernelW - 1) * dilationW + 2 * lanes + 1)
        let rowCopy = allocateScratchFloats(rowLength)
        let rowBest = allocateScratchFloats(height * paddedWidth)
        let rowIndex = UnsafeMutablePointer<Int32>.allocate(capacity: height * paddedWidth)
        let outBest = allocateScratchFloats(paddedWidth)
        let outIndex = UnsafeMutablePointer<Int32>.allocate(capacity: paddedWidth)
        defer {
            deallocateScratchFloats(rowCopy, count: rowLength)
            deallocateScratchFloats(rowBest, count: height * paddedWidth)
            rowIndex.deallocate()
            deallocateScratchFloats(outBest, count: paddedWidth)
            outIndex.deallocate()
        }
        rowCopy.update(repeating: -.infinity, count: rowLength)
        let laneOffsets = LaneIndices(0, 1, 2, 3, 4, 5, 6, 7) &* Int32(strideW)
        for plane in planes {
            let src = input + plane * height * width
            // Pass 1: every input row.
            for ih in 0..<height {
                (rowCopy + padW).update(from: src + ih * width, count: width)
                let best = rowBest + ih * paddedWidth
                let index = rowIndex + ih * paddedWidth
                for ow in stride(from: 0, to: paddedWidth, by: lanes) {
                    var b = Lanes(repeating: -.infinity)
                    var i = UnsafeRawPointer(firstColumns + ow).loadUnaligned(as: LaneIndices.self)
                    let base = ow * strideW
                    for kj in 0..<kernelW {
                        let tap = base + kj * dilationW
                        let v: Lanes
                        if strideW == 1 {
                            v = UnsafeRawPointer(rowCopy + tap).loadUnaligned(as: Lanes.self)
                        } else if strideW == 2 {
                            v = UnsafeRawPointer(rowCopy + tap).loadUnaligned(as: SIMD16<Float>.self).evenHalf
                        } else {
                            var gathered = Lanes()
                            for lane in 0..<lanes { gathered[lane] = rowCopy[tap + lane * strideW] }
                            v = gathered
                        }
                        let take = (v .> b) .| (v .!= v)
                        b.replace(with: v, where: take)
                        i.replace(with: laneOffsets &+ Int32(tap - padW), where: take)
                    }
                    UnsafeMutableRawPointer(best + ow).storeBytes(of: b, as: Lanes.self)
                    UnsafeMutableRawPointer(index + ow).storeBytes(of: i, as: LaneIndices.self)
                }
            }
            // Pass 2: every output row.
            let dst = output + plane * ho * wo
            let idx = indices.map { $0 + plane * ho * wo }
            for oh in 0..<ho {
                let (k0, k1) = rows[oh]
                let firstRow = Int32((oh * g.strideH - g.padH + k0 * g.dilationH) * width)
                for ow in stride(from: 0, to: paddedWidth, by: lanes) {
                    var b = Lanes(repeating: -.infinity)
                    var i = UnsafeRawPointer(firstColumns + ow).loadUnaligned(as: LaneIndices.self) &+ firstRow
                    for ki in k0..<k1 {
                        let ih = oh * g.strideH - g.padH + ki * g.dilationH
                        let v = UnsafeRawPointer(rowBest + ih * paddedWidth + ow).loadUnaligned(as: Lanes.self)
                        let take = (v .> b) .| (v .!= v)
                        b.replace(with: v, where: take)
                        let columns = UnsafeRawPointer(rowIndex + ih * paddedWidth + ow)
                            .loadUnaligned(as: LaneIndices.self)
                        i.replace(with: columns &+ Int32(ih * width), where: take)
                    }
                    UnsafeMutableRawPointer(outBest + ow).storeBytes(of: b, as: Lanes.self)
                    UnsafeMutableRawPointer(outIndex + ow).storeBytes(of: i, as: LaneIndices.self)
                }
                (dst + oh * wo).update(from: outBest, count: wo)
                idx.map { ($0 + oh * wo).update(from: outIndex, count: wo) }
            }
        }
    }

    /// ``forward(input:output:indices:geometry:)`` without indices (inference), in C (`tl_max_pool_planes`): the same
    /// two separable passes and the same rule, so the same values bit for bit, with no index lanes to carry.
    private static func valuesOnly(
        input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, geometry g: ConvGeometry
    ) {
        precondition(g.padH >= 0 && g.padW >= 0, "max pool: negative padding (\(g.padH), \(g.padW))")
        let rowFloats = tl_max_pool_row_floats(g.width, g.outWidth, g.kernelWidth, g.strideW, g.padW, g.dilationW)
        let scratchFloats = g.height * g.outWidth + rowFloats
        let (inPlane, outPlane) = (g.height * g.width, g.outPlane)
        parallelFor(g.batch * g.inChannels, grain: max(1, 16_384 / max(outPlane * 4, 1))) { planes in
            let scratch = allocateScratchFloats(scratchFloats)
            defer { deallocateScratchFloats(scratch, count: scratchFloats) }
            tl_max_pool_planes(
                input + planes.lowerBound * inPlane, output + planes.lowerBound * outPlane, planes.count, g.height,
                g.width, g.outHeight, g.outWidth, g.kernelHeight, g.kernelWidth, g.strideH, g.strideW, g.padH, g.padW,
                g.dilationH, g.dilationW, scratch)
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

extension MaxPoolKernel {
    /// ``forward(input:output:indices:geometry:)`` without indices for channels-last images: input `[N, H, W, C]`,
    /// output `[N, Ho, Wo, C]` (`C == g.inChannels`), in C (`tl_max_pool_nhwc`, the channels in lanes), split by
    /// images across the cores. The same rule in the same tap order, so the same values bit for bit.
    public static func forwardChannelsLast(
        input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, geometry g: ConvGeometry
    ) {
        precondition(g.padH >= 0 && g.padW >= 0, "max pool: negative padding (\(g.padH), \(g.padW))")
        parallelFor(g.batch, grain: 1) { images in
            tl_max_pool_nhwc(
                input, output, images.lowerBound, images.upperBound, g.height, g.width, g.inChannels, g.outHeight,
                g.outWidth, g.kernelHeight, g.kernelWidth, g.strideH, g.strideW, g.padH, g.padW, g.dilationH,
                g.dilationW)
        }
    }
}

extension AdaptiveAvgPoolKernel {
    /// ``forward(input:output:planes:height:width:outHeight:outWidth:)`` to a 1x1 output for channels-last images:
    /// input `[N, plane, C]`, output `[N, C]`, each channel summed in float32 in plane order (the same order, so the
    /// same values bit for bit), in C (`tl_global_avg_pool_nhwc`).
    public static func globalChannelsLast(
        input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int, plane: Int, channels: Int
    ) {
        parallelFor(batch, grain: max(1, 16_384 / max(plane * channels, 1))) { images in
            tl_global_avg_pool_nhwc(input, output, images.lowerBound, images.upperBound, plane, channels)
        }
    }
}
