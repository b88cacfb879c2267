/// Unfolds the channels `[c0, c0 + channels)` of an NCHW batch into the im2col matrix
/// `[channels * kh * kw, N * Ho * Wo]` (row-major), with zeros where the window reaches into the padding.
///
/// Mirrors the column layout of `torch.nn.functional.unfold`, extended over the batch so that one GEMM per
/// group covers every image.
public func im2col(
    _ input: UnsafePointer<Float>, geometry g: ConvGeometry, firstChannel c0: Int, channels: Int,
    into columns: UnsafeMutablePointer<Float>
) {
    let perChannel = g.kernelHeight * g.kernelWidth * g.columnCount
    parallelFor(channels, grain: max(1, 65_536 / max(perChannel, 1))) { channelRange in
        im2colChannels(input, geometry: g, firstChannel: c0, channels: channelRange, into: columns)
    }
}

/// The body of ``im2col(_:geometry:firstChannel:channels:into:)`` for some channels: a plain function, so that the
/// geometry lives in registers rather than in a closure context that every store might alias.
private func im2colChannels(
    _ input: UnsafePointer<Float>, geometry g: ConvGeometry, firstChannel c0: Int, channels: Range<Int>,
    into columns: UnsafeMutablePointer<Float>
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
                for n in 0..<g.batch {
                    let image = input + (n * g.inChannels + c0 + c) * inPlane
                    let outImage = row + n * plane
                    for oh in 0..<ho {
                        let ih = oh * g.strideH - g.padH + ki * g.dilationH
                        let dst = outImage + oh * wo
                        if ih < 0 || ih >= g.height {
                            dst.update(repeating: 0, count: wo)
                            continue
                        }
                        let src = image + ih * g.width + colOffset
                        for ow in 0..<owStart { dst[ow] = 0 }
                        if g.strideW != 1 {
                            for ow in owStart..<owEnd { dst[ow] = src[ow * g.strideW] }
                        } else if owEnd - owStart >= 32 {
                            (dst + owStart).update(from: src + owStart, count: owEnd - owStart)
                        } else {
                            // Short rows (late layers): a plain loop beats a memcpy call per row.
                            for ow in owStart..<owEnd { dst[ow] = src[ow] }
                        }
                        for ow in owEnd..<wo { dst[ow] = 0 }
                    }
                }
            }
        }
    }
}

/// Folds an im2col matrix `[channels * kh * kw, N * Ho * Wo]` back onto the channels `[c0, c0 + channels)` of an
/// NCHW batch, ADDING overlapping contributions (the adjoint of ``im2col(_:geometry:firstChannel:channels:into:)``,
/// as `torch.nn.functional.fold`). The destination channels must be zeroed (or hold values to add to) beforehand.
public func col2im(
    _ columns: UnsafePointer<Float>, geometry g: ConvGeometry, firstChannel c0: Int, channels: Int,
    into input: UnsafeMutablePointer<Float>
) {
    let perChannel = g.kernelHeight * g.kernelWidth * g.columnCount
    // Each channel folds into its own input planes, so channels can run in parallel.
    parallelFor(channels, grain: max(1, 65_536 / max(perChannel, 1))) { channelRange in
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
                        var ow = owStart
                        while ow < owEnd {
                            dst[ow * g.strideW] += src[ow]
                            ow += 1
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
