/// 2-D convolution over NCHW batches as im2col + GEMM (the algorithm of `at::native::slow_conv2d`).
///
/// Two schedules, chosen by the output plane size `P = Ho * Wo`:
/// - large planes (early layers): one image at a time, im2col into a `[K, P]` buffer that stays cache-warm and a
///   GEMM straight into the output - no transposes, small workspace;
/// - small planes (late layers, e.g. 7x7): one GEMM per group over the whole batch (`N * P` columns), so that the
///   GEMM stays large and well shaped, then a permute of the `[O, N, P]` product into `[N, O, P]`.
///
/// Shapes: input `[N, C, H, W]`, weight `[O, C/groups, kh, kw]`, bias `[O]`, output `[N, O, Ho, Wo]`.
public enum Convolution {
    /// Output planes at least this large are computed image by image (smaller ones batch into one large GEMM,
    /// which OpenBLAS's threads can split).
    public static let perImagePlaneThreshold = 256

    /// Writes `conv2d(input, weight, bias)` into `output`.
    public static func forward(
        input: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        output: UnsafeMutablePointer<Float>, geometry g: ConvGeometry, workspace: Workspace
    ) {
        let (k, og, plane) = (g.columnRows, g.groupOutChannels, g.outPlane)
        if g.batch == 1 || plane >= perImagePlaneThreshold {
            let image = g.single
            let inImage = g.inChannels * g.height * g.width
            let columnsBuffer = workspace.reserve(g.isPointwise ? 0 : k * plane)
            withImageTable(image) { table in
            for n in 0..<g.batch {
                let source = input + n * inImage
                for group in 0..<g.groups {
                    let columns = imageColumns(source, geometry: image, group: group, buffer: columnsBuffer,
                                               table: table)
                    sgemm(transposeA: .none, transposeB: .none, m: og, n: plane, k: k,
                          a: weight + group * og * k, lda: k, b: columns, ldb: plane,
                          c: output + (n * g.outChannels + group * og) * plane, ldc: plane)
                }
            }
            }
        } else {
            let np = g.columnCount
            let scratch = workspace.reserve(k * np + og * np)
            let (columns, product) = (scratch, scratch + k * np)
            for group in 0..<g.groups {
                im2col(input, geometry: g, firstChannel: group * g.groupInChannels, channels: g.groupInChannels,
                       into: columns)
                sgemm(transposeA: .none, transposeB: .none, m: og, n: np, k: k,
                      a: weight + group * og * k, lda: k, b: columns, ldb: np, c: product, ldc: np)
                // [Og, N, P] -> channels [group*Og, (group+1)*Og) of [N, O, P]
                for o in 0..<og {
                    for n in 0..<g.batch {
                        (output + (n * g.outChannels + group * og + o) * plane)
                            .update(from: product + (o * g.batch + n) * plane, count: plane)
                    }
                }
            }
        }
        if let bias {
            for n in 0..<g.batch {
                for o in 0..<g.outChannels {
                    let row = output + (n * g.outChannels + o) * plane
                    let b = bias[o]
                    for p in 0..<plane { row[p] += b }
                }
            }
        }
    }

    /// Computes only the requested gradients of `conv2d` (PyTorch's `output_mask`); each given buffer is
    /// overwritten.
    ///
    /// Shapes: gradOutput `[N, O, Ho, Wo]`; gradInput like input; gradWeight like weight; gradBias `[O]`.
    public static func backward(
        gradOutput: UnsafePointer<Float>, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        gradInput: UnsafeMutablePointer<Float>?, gradWeight: UnsafeMutablePointer<Float>?,
        gradBias: UnsafeMutablePointer<Float>?, geometry g: ConvGeometry, workspace: Workspace
    ) {
        let (k, og, plane) = (g.columnRows, g.groupOutChannels, g.outPlane)
        if let gradBias {
            for o in 0..<g.outChannels {
                var sum = 0.0
                for n in 0..<g.batch { sum += Elementwise.sum(gradOutput + (n * g.outChannels + o) * plane, count: plane) }
                gradBias[o] = Float(sum)
            }
        }
        guard gradInput != nil || gradWeight != nil else { return }
        if g.batch == 1 || plane >= perImagePlaneThreshold {
            backwardPerImage(gradOutput: gradOutput, input: input, weight: weight, gradInput: gradInput,
                             gradWeight: gradWeight, geometry: g, workspace: workspace)
            return
        }
        let np = g.columnCount
        let scratch = workspace.reserve(k * np + g.outChannels * np)
        let columns = scratch
        // gradOutput as [O, N * P], the layout the batched GEMMs want.
        let gradRows = scratch + k * np
        for n in 0..<g.batch {
            for o in 0..<g.outChannels {
                (gradRows + (o * g.batch + n) * plane)
                    .update(from: gradOutput + (n * g.outChannels + o) * plane, count: plane)
            }
        }
        if let gradInput { gradInput.update(repeating: 0, count: g.batch * g.inChannels * g.height * g.width) }
        for group in 0..<g.groups {
            let c0 = group * g.groupInChannels
            let gradGroup = UnsafePointer(gradRows + group * og * np)
            if let gradWeight {
                im2col(input, geometry: g, firstChannel: c0, channels: g.groupInChannels, into: columns)
                sgemm(transposeA: .none, transposeB: .transpose, m: og, n: k, k: np,
                      a: gradGroup, lda: np, b: columns, ldb: np, c: gradWeight + group * og * k, ldc: k)
            }
            if let gradInput {
                sgemm(transposeA: .transpose, transposeB: .none, m: k, n: np, k: og,
                      a: weight + group * og * k, lda: k, b: gradGroup, ldb: np, c: columns, ldc: np)
                col2im(columns, geometry: g, firstChannel: c0, channels: g.groupInChannels, into: gradInput)
            }
        }
    }

    /// The image-by-image schedule of ``backward``: weight gradients accumulate over images in the GEMM.
    private static func backwardPerImage(
        gradOutput: UnsafePointer<Float>, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        gradInput: UnsafeMutablePointer<Float>?, gradWeight: UnsafeMutablePointer<Float>?,
        geometry g: ConvGeometry, workspace: Workspace
    ) {
        let (k, og, plane) = (g.columnRows, g.groupOutChannels, g.outPlane)
        let image = g.single
        let inImage = g.inChannels * g.height * g.width
        let columnsBuffer = workspace.reserve(k * plane)
        if let gradInput, !g.isPointwise { gradInput.update(repeating: 0, count: g.batch * inImage) }
        withImageTable(image) { table in
        for n in 0..<g.batch {
            for group in 0..<g.groups {
                let gradGroup = gradOutput + (n * g.outChannels + group * og) * plane
                if let gradWeight {
                    let columns = imageColumns(input + n * inImage, geometry: image, group: group,
                                               buffer: columnsBuffer, table: table)
                    sgemm(transposeA: .none, transposeB: .transpose, m: og, n: k, k: plane,
                          a: gradGroup, lda: plane, b: columns, ldb: plane, beta: n == 0 ? 0 : 1,
                          c: gradWeight + group * og * k, ldc: k)
                }
                if let gradInput {
                    let target = gradInput + n * inImage + group * g.groupInChannels * g.height * g.width
                    let columns = g.isPointwise ? target : columnsBuffer
                    sgemm(transposeA: .transpose, transposeB: .none, m: k, n: plane, k: og,
                          a: weight + group * og * k, lda: k, b: gradGroup, ldb: plane, c: columns, ldc: plane)
                    if !g.isPointwise {
                        col2im(columnsBuffer, geometry: image, firstChannel: group * g.groupInChannels,
                               channels: g.groupInChannels, into: gradInput + n * inImage)
                    }
                }
            }
        }
        }
    }

    /// The `[K, P]` im2col matrix of one group of one image: the image itself for pointwise convolutions.
    private static func imageColumns(
        _ image: UnsafePointer<Float>, geometry single: ConvGeometry, group: Int, buffer: UnsafeMutablePointer<Float>,
        table: UnsafePointer<Int32>?
    ) -> UnsafePointer<Float> {
        let c0 = group * single.groupInChannels
        if single.isPointwise { return image + c0 * single.height * single.width }
        im2col(image, geometry: single, firstChannel: c0, channels: single.groupInChannels, into: buffer, table: table)
        return UnsafePointer(buffer)
    }

    /// Runs `body` with the gather table of one image's im2col when its plane is small enough to use one.
    private static func withImageTable<R>(_ single: ConvGeometry, _ body: (UnsafePointer<Int32>?) -> R) -> R {
        guard single.outPlane <= gatherPlaneLimit, !single.isPointwise else { return body(nil) }
        return gatherTable(single).withUnsafeBufferPointer { body($0.baseAddress) }
    }
}

extension ConvGeometry {
    /// The same convolution for a batch of one image.
    var single: ConvGeometry {
        var copy = self
        copy.batch = 1
        return copy
    }
}
