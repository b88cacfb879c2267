import CKernels

/// Unfolds the channels `[c0, c0 + channels)` of an NCHW batch into the im2col matrix
/// `[channels * kh * kw, N * Ho * Wo]` (row-major), with zeros where the window reaches into the padding.
///
/// Mirrors the column layout of `torch.nn.functional.unfold`, extended over the batch so that one GEMM per
/// group covers every image. `threaded: false` runs on the calling thread (for callers that already run one task
/// per core).
public func im2col(
    _ input: UnsafePointer<Float>, geometry g: ConvGeometry, firstChannel c0: Int, channels: Int,
    into columns: UnsafeMutablePointer<Float>, threaded: Bool = true, method: UnfoldMethod = .automatic
) {
    let grain = threaded ? max(1, 65_536 / max(g.kernelHeight * g.kernelWidth * g.columnCount, 1)) : channels
    if method.usesTable(g) {
        withTapTable(g) { offsets in
            parallelFor(channels, grain: grain) { range in
                tl_im2col_table(
                    input + (c0 + range.lowerBound) * g.height * g.width, g.batch, g.inChannels * g.height * g.width,
                    g.height * g.width, range.count, offsets, g.kernelHeight * g.kernelWidth, g.outPlane,
                    columns + range.lowerBound * g.kernelHeight * g.kernelWidth * g.columnCount, g.columnCount)
            }
        }
        return
    }
    parallelFor(channels, grain: grain) { channelRange in
        im2colPadded(input, geometry: g, firstChannel: c0, channels: channelRange, into: columns)
    }
}

/// How ``im2col(_:geometry:firstChannel:channels:into:threaded:method:)`` and its adjoint walk the input; both
/// give the same values bit for bit (col2im adds in the same order).
public enum UnfoldMethod: Sendable {
    /// The table for output planes (`Ho * Wo`) up to ``tablePlaneLimit``, the padded copy above.
    case automatic
    /// A zero-bordered copy of each input plane, then one strided copy per kernel tap and output row.
    case padded
    /// A table of input offsets, one per kernel tap and output position, in C (`tl_im2col_table`).
    case table

    /// Output planes up to this size use the table: with rows of 1 to 8 values, the padded copy and its per-row
    /// copies cost more than the values moved (layer2 to layer4 at 32x32 and 64x64 inputs).
    public static let tablePlaneLimit = 64

    func usesTable(_ g: ConvGeometry) -> Bool {
        switch self {
        case .automatic: return g.outPlane <= Self.tablePlaneLimit
        case .padded: return false
        case .table: return true
        }
    }
}

/// Calls `body` with the table `[kh * kw, Ho * Wo]` of input positions (`ih * W + iw` in one channel plane) each
/// kernel tap reads for each output position, -1 where it falls in the padding.
func withTapTable<R>(_ g: ConvGeometry, _ body: (UnsafePointer<Int32>) -> R) -> R {
    let (taps, plane) = (g.kernelHeight * g.kernelWidth, g.outPlane)
    return withUnsafeTemporaryAllocation(of: Int32.self, capacity: taps * plane) { table in
        for ki in 0..<g.kernelHeight {
            for kj in 0..<g.kernelWidth {
                for oh in 0..<g.outHeight {
                    let ih = oh * g.strideH - g.padH + ki * g.dilationH
                    for ow in 0..<g.outWidth {
                        let iw = ow * g.strideW - g.padW + kj * g.dilationW
                        let inside = ih >= 0 && ih < g.height && iw >= 0 && iw < g.width
                        table[(ki * g.kernelWidth + kj) * plane + oh * g.outWidth + ow] =
                            inside ? Int32(ih * g.width + iw) : -1
                    }
                }
            }
        }
        return body(UnsafePointer(table.baseAddress!))
    }
}

/// im2col through a zero-bordered copy of each input plane: every kernel tap of every output row is then a
/// plain strided copy of `Wo` values, with no test for the padding. The copy has slack after its last row, so
/// that the common row widths (2 to 16, stride 1 or 2) copy as whole SIMD vectors.
private func im2colPadded(
    _ input: UnsafePointer<Float>, geometry g: ConvGeometry, firstChannel c0: Int, channels: Range<Int>,
    into columns: UnsafeMutablePointer<Float>
) {
    let (ho, wo, plane) = (g.outHeight, g.outWidth, g.outPlane)
    let (height, width) = (g.height, g.width)
    let (kh, kw, sh, sw, dh, dw) = (g.kernelHeight, g.kernelWidth, g.strideH, g.strideW, g.dilationH, g.dilationW)
    let rowLength = g.columnCount
    let inPlane = height * width
    let paddedWidth = width + 2 * g.padW
    let paddedCount = (height + 2 * g.padH) * paddedWidth + 2 * wo + 16
    let buffer = allocateScratchFloats(paddedCount)
    defer { deallocateScratchFloats(buffer, count: paddedCount) }
    buffer.update(repeating: 0, count: paddedCount)
    let interior = buffer + g.padH * paddedWidth + g.padW
    for c in channels {
        for n in 0..<g.batch {
            let image = input + (n * g.inChannels + c0 + c) * inPlane
            for h in 0..<height { (interior + h * paddedWidth).update(from: image + h * width, count: width) }
            for ki in 0..<kh {
                for kj in 0..<kw {
                    let dst = columns + ((c * kh + ki) * kw + kj) * rowLength + n * plane
                    let tap = UnsafePointer(buffer) + ki * dh * paddedWidth + kj * dw
                    for oh in 0..<ho {
                        copyRow(from: tap + oh &* sh &* paddedWidth, to: dst + oh &* wo, count: wo, stride: sw)
                    }
                }
            }
        }
    }
}

/// `to[i] = from[i * stride]` for `i < count`; may read up to `2 * count` values past `from` for strides 1 and 2.
@inline(__always)
private func copyRow(from: UnsafePointer<Float>, to: UnsafeMutablePointer<Float>, count: Int, stride: Int) {
    let source = UnsafeRawPointer(from)
    let target = UnsafeMutableRawPointer(to)
    switch (stride, count) {
    case (1, 2): target.storeBytes(of: source.loadUnaligned(as: SIMD2<Float>.self), as: SIMD2<Float>.self)
    case (1, 4): target.storeBytes(of: source.loadUnaligned(as: SIMD4<Float>.self), as: SIMD4<Float>.self)
    case (1, 8): target.storeBytes(of: source.loadUnaligned(as: SIMD8<Float>.self), as: SIMD8<Float>.self)
    case (1, 16): target.storeBytes(of: source.loadUnaligned(as: SIMD16<Float>.self), as: SIMD16<Float>.self)
    case (2, 2): target.storeBytes(of: source.loadUnaligned(as: SIMD4<Float>.self).evenHalf, as: SIMD2<Float>.self)
    case (2, 4): target.storeBytes(of: source.loadUnaligned(as: SIMD8<Float>.self).evenHalf, as: SIMD4<Float>.self)
    case (2, 8): target.storeBytes(of: source.loadUnaligned(as: SIMD16<Float>.self).evenHalf, as: SIMD8<Float>.self)
    case (2, 16):
        target.storeBytes(of: source.loadUnaligned(as: SIMD16<Float>.self).evenHalf, as: SIMD8<Float>.self)
        (target + 32).storeBytes(
            of: (source + 64).loadUnaligned(as: SIMD16<Float>.self).evenHalf,
            as: SIMD8<Float>.self)
    case (1, _):
        for i in 0..<count { to[i] = from[i] }
    default:
        for i in 0..<count { to[i] = from[i &* stride] }
    }
}

/// Folds an im2col matrix `[channels * kh * kw, N * Ho * Wo]` back onto the channels `[c0, c0 + channels)` of an
/// NCHW batch, ADDING overlapping contributions (the adjoint of ``im2col(_:geometry:firstChannel:channels:into:)``,
/// as `torch.nn.functional.fold`). The destination channels must be zeroed (or hold values to add to) beforehand.
public func col2im(
    _ columns: UnsafePointer<Float>, geometry g: ConvGeometry, firstChannel c0: Int, channels: Int,
    into input: UnsafeMutablePointer<Float>, threaded: Bool = true, method: UnfoldMethod = .automatic
) {
    let perChannel = g.kernelHeight * g.kernelWidth * g.columnCount
    // Each channel folds into its own input planes, so channels can run in parallel.
    let grain = threaded ? max(1, 65_536 / max(perChannel, 1)) : channels
    if method.usesTable(g) {
        withTapTable(g) { offsets in
            parallelFor(channels, grain: grain) { range in
                tl_col2im_table(
                    columns + range.lowerBound * g.kernelHeight * g.kernelWidth * g.columnCount, g.batch,
                    g.inChannels * g.height * g.width, g.height * g.width, range.count, offsets,
                    g.kernelHeight * g.kernelWidth, g.outPlane,
                    input + (c0 + range.lowerBound) * g.height * g.width, g.columnCount)
            }
        }
        return
    }
    parallelFor(channels, grain: grain) { channelRange in
        col2imChannels(columns, geometry: g, firstChannel: c0, channels: channelRange, into: input)
    }
}

/// The body of ``col2im(_:geometry:firstChannel:channels:into:)`` for some channels (a plain function, as above).
private func col2imChannels(
    _ columns: UnsafePointer<Float>, geometry g: ConvGeometry, firstChannel c0: Int, channels: Range<Int>,
    into input: UnsafeMutablePointer<Float>
) {
    let (ho, wo, plane) = (g.outHeight, g.outWidth, g.outPlane)
    let rowLength = g.columnCount
    let inPlane = g.height * g.width
    for c in channels {
        for ki in 0..<g.kernelHeight {
            for kj in 0..<g.kernelWidth {
                let row = columns + ((c * g.kernelHeight + ki) * g.kernelWidth + kj) * rowLength
                let colOffset = kj * g.dilationW - g.padW
                let (owStart, owEnd) = validOutputColumns(offset: colOffset, geometry: g)
                if owEnd <= owStart { continue }
                for n in 0..<g.batch {
                    let image = input + (n * g.inChannels + c0 + c) * inPlane
                    let srcImage = row + n * plane
                    for oh in 0..<ho {
                        let ih = oh * g.strideH - g.padH + ki * g.dilationH
                        if ih < 0 || ih >= g.height { continue }
                        let src = srcImage + oh * wo
                        let dst = image + ih * g.width + colOffset
                        if g.strideW == 1 {
                            // Unit stride: a loop the compiler vectorises.
                            for ow in owStart..<owEnd { dst[ow] += src[ow] }
                        } else {
                            for ow in owStart..<owEnd { dst[ow * g.strideW] += src[ow] }
                        }
                    }
                }
            }
        }
    }
}

/// The output columns `[start, end)` whose input column `ow * strideW + offset` lies inside `[0, width)`.
@inline(__always)
func validOutputColumns(offset: Int, geometry g: ConvGeometry) -> (Int, Int) {
    let wo = g.outWidth
    let start = offset >= 0 ? 0 : min(wo, (-offset + g.strideW - 1) / g.strideW)
    let lastInside = g.width - 1 - offset
    if lastInside < 0 { return (start, start) }
    return (start, max(start, min(wo, lastInside / g.strideW + 1)))
}
