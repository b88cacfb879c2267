/// Unfolds the channels `[c0, c0 + channels)` of an NCHW batch into the im2col matrix
/// `[channels * kh * kw, N * Ho * Wo]` (row-major), with zeros where the window reaches into the padding.
///
/// Mirrors the column layout of `torch.nn.functional.unfold`, extended over the batch so that one GEMM per
/// group covers every image.
public func im2col(
    _ input: UnsafePointer<Float>, geometry g: ConvGeometry, firstChannel c0: Int, channels: Int,
    into columns: UnsafeMutablePointer<Float>
) {
    withGatherTable(g) { table in
        im2col(input, geometry: g, firstChannel: c0, channels: channels, into: columns, table: table)
    }
}

/// Runs `body` with the ``gatherTable(_:)`` of `g` when its output plane is small enough to use one, else `nil`.
func withGatherTable<R>(_ g: ConvGeometry, _ body: (UnsafePointer<Int32>?) -> R) -> R {
    guard g.outPlane <= gatherPlaneLimit else { return body(nil) }
    return gatherTable(g).withUnsafeBufferPointer { body($0.baseAddress) }
}

/// ``im2col(_:geometry:firstChannel:channels:into:)`` with the ``gatherTable(_:)`` of `g` computed by the caller
/// (once per convolution rather than once per image), or `nil` to copy row by row. The table depends on the
/// image geometry only, so one table serves any batch size. `threaded: false` runs on the calling thread.
func im2col(
    _ input: UnsafePointer<Float>, geometry g: ConvGeometry, firstChannel c0: Int, channels: Int,
    into columns: UnsafeMutablePointer<Float>, table: UnsafePointer<Int32>?, threaded: Bool = true
) {
    let grain = threaded ? max(1, 65_536 / max(g.kernelHeight * g.kernelWidth * g.columnCount, 1)) : channels
    parallelFor(channels, grain: grain) { channelRange in
        if let table {
            im2colGather(input, geometry: g, firstChannel: c0, channels: channelRange, into: columns, table: table)
        } else {
            im2colChannels(input, geometry: g, firstChannel: c0, channels: channelRange, into: columns)
        }
    }
}

/// Output planes up to this size are unfolded through a table of source offsets: their rows (Wo of 1 to 32) are
/// too short for a copy per row to pay, and one long gather per (channel, tap, image) runs without branches.
let gatherPlaneLimit = 1024

/// For every kernel tap and output pixel, the input offset `ih * W + iw` it reads, or -1 in the padding.
/// Shape: `[kh * kw, Ho * Wo]`.
func gatherTable(_ g: ConvGeometry) -> [Int32] {
    var table = [Int32](repeating: -1, count: g.kernelHeight * g.kernelWidth * g.outPlane)
    for ki in 0..<g.kernelHeight {
        for kj in 0..<g.kernelWidth {
            let base = (ki * g.kernelWidth + kj) * g.outPlane
            for oh in 0..<g.outHeight {
                let ih = oh * g.strideH - g.padH + ki * g.dilationH
                guard ih >= 0 && ih < g.height else { continue }
                for ow in 0..<g.outWidth {
                    let iw = ow * g.strideW - g.padW + kj * g.dilationW
                    if iw >= 0 && iw < g.width { table[base + oh * g.outWidth + ow] = Int32(ih * g.width + iw) }
                }
            }
        }
    }
    return table
}

/// im2col for small planes through ``gatherTable(_:)``: the load always reads a valid element (offset 0 stands in
/// for the padding) and a select writes 0 there, so the inner loop has no branch.
private func im2colGather(
    _ input: UnsafePointer<Float>, geometry g: ConvGeometry, firstChannel c0: Int, channels: Range<Int>,
    into columns: UnsafeMutablePointer<Float>, table: UnsafePointer<Int32>
) {
    let (plane, taps, inPlane, batch) = (g.outPlane, g.kernelHeight * g.kernelWidth, g.height * g.width, g.batch)
    let rowLength = g.columnCount
    let imageStride = g.inChannels * inPlane
    for c in channels {
        for t in 0..<taps {
            let row = columns + (c * taps + t) * rowLength
            let offsets = table + t * plane
            for n in 0..<batch {
                let src = input + n * imageStride + (c0 + c) * inPlane
                let dst = row + n * plane
                for p in 0..<plane {
                    let offset = Int(offsets[p])
                    let value = src[max(offset, 0)]
                    dst[p] = offset >= 0 ? value : 0
                }
            }
        }
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
    into input: UnsafeMutablePointer<Float>, threaded: Bool = true
) {
    let perChannel = g.kernelHeight * g.kernelWidth * g.columnCount
    // Each channel folds into its own input planes, so channels can run in parallel.
    let grain = threaded ? max(1, 65_536 / max(perChannel, 1)) : channels
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
