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

    /// How many image-parallel tasks a convolution runs: one per core, each taking whole images with its own
    /// slice of the workspace and single-threaded im2col and GEMMs, when the batch divides evenly enough among the
    /// cores; else 1, and the im2col loops and GEMMs of each image or batch are split across the cores instead.
    /// Whole images per core keep each core's columns in its own cache and replace two parallel dispatches per
    /// image and group by one per convolution (at 16x16 planes, batch 32, this halved the time of layer1).
    static func imageChunks(_ g: ConvGeometry) -> Int {
        let cores = Parallelism.cores
        guard cores > 1, g.batch >= cores, g.batch % cores == 0 || g.batch >= 4 * cores else { return 1 }
        return cores
    }

    /// True when the whole batch (or each image-parallel chunk of it) is unfolded into one im2col matrix.
    static func batchesImages(_ g: ConvGeometry) -> Bool {
        g.batch > 1 && g.outPlane < perImagePlaneThreshold
    }

    /// Writes `conv2d(input, weight, bias)` into `output`.
    public static func forward(
        input: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        output: UnsafeMutablePointer<Float>, geometry g: ConvGeometry, workspace: Workspace
    ) {
        let (k, og, plane) = (g.columnRows, g.groupOutChannels, g.outPlane)
        let chunks = imageChunks(g)
        let batched = batchesImages(g)
        let imagesPerChunk = (g.batch + chunks - 1) / chunks
        let perChunk = batched ? imagesPerChunk * plane * (k + og) : (g.isPointwise ? 0 : k * plane)
        let scratch = workspace.reserve(chunks * perChunk)
        let inImage = g.inChannels * g.height * g.width
        withGatherTable(g.single) { table in
            parallelChunks(g.batch, chunks: chunks) { chunk, images in
                let buffer = scratch + chunk * perChunk
                if batched {
                    forwardBatch(images, input: input, weight: weight, output: output, geometry: g,
                                 buffer: buffer, table: table, threaded: chunks == 1)
                    return
                }
                let image = g.single
                for n in images {
                    for group in 0..<g.groups {
                        let columns = imageColumns(input + n * inImage, geometry: image, group: group,
                                                   buffer: buffer, table: table, threaded: chunks == 1)
                        sgemm(transposeA: .none, transposeB: .none, m: og, n: plane, k: k,
                              a: weight + group * og * k, lda: k, b: columns, ldb: plane,
                              c: output + (n * g.outChannels + group * og) * plane, ldc: plane,
                              threaded: chunks == 1)
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

    /// The batched schedule of ``forward`` for the images `images`: per group, one im2col matrix
    /// `[K, count * P]` and one GEMM into `[Og, count, P]`, permuted into channels of `[N, O, P]`.
    /// `buffer` holds `count * P * (K + Og)` floats.
    private static func forwardBatch(
        _ images: Range<Int>, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        output: UnsafeMutablePointer<Float>, geometry g: ConvGeometry, buffer: UnsafeMutablePointer<Float>,
        table: UnsafePointer<Int32>?, threaded: Bool
    ) {
        let (k, og, plane) = (g.columnRows, g.groupOutChannels, g.outPlane)
        var part = g
        part.batch = images.count
        let np = part.columnCount
        let (columns, product) = (buffer, buffer + k * np)
        let source = input + images.lowerBound * g.inChannels * g.height * g.width
        for group in 0..<g.groups {
            im2col(source, geometry: part, firstChannel: group * g.groupInChannels, channels: g.groupInChannels,
                   into: columns, table: table, threaded: threaded)
            sgemm(transposeA: .none, transposeB: .none, m: og, n: np, k: k,
                  a: weight + group * og * k, lda: k, b: columns, ldb: np, c: product, ldc: np, threaded: threaded)
            // [Og, count, P] -> channels [group*Og, (group+1)*Og) of images `images` in [N, O, P]
            for o in 0..<og {
                for (i, n) in images.enumerated() {
                    (output + (n * g.outChannels + group * og + o) * plane)
                        .update(from: product + (o * part.batch + i) * plane, count: plane)
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
        if !batchesImages(g) {
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
        withGatherTable(g.single) { table in
            for group in 0..<g.groups {
                let c0 = group * g.groupInChannels
                let gradGroup = UnsafePointer(gradRows + group * og * np)
                if let gradWeight {
                    im2col(input, geometry: g, firstChannel: c0, channels: g.groupInChannels, into: columns,
                           table: table)
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
    }

    /// The image-by-image schedule of ``backward``: weight gradients accumulate over images in the GEMM. With
    /// image-parallel chunks, chunk 0 accumulates into `gradWeight` and every other chunk into its own partial
    /// sum in the workspace, added at the end.
    private static func backwardPerImage(
        gradOutput: UnsafePointer<Float>, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        gradInput: UnsafeMutablePointer<Float>?, gradWeight: UnsafeMutablePointer<Float>?,
        geometry g: ConvGeometry, workspace: Workspace
    ) {
        let (k, og, plane) = (g.columnRows, g.groupOutChannels, g.outPlane)
        let image = g.single
        let inImage = g.inChannels * g.height * g.width
        let chunks = imageChunks(g)
        let weightCount = g.outChannels * k
        let perChunk = k * plane + (gradWeight != nil ? weightCount : 0)
        let scratch = workspace.reserve(chunks * perChunk)
        if let gradInput, !g.isPointwise { gradInput.update(repeating: 0, count: g.batch * inImage) }
        withGatherTable(image) { table in
            parallelChunks(g.batch, chunks: chunks) { chunk, images in
                let columnsBuffer = scratch + chunk * perChunk
                let threaded = chunks == 1
                let weightSum = chunk == 0 ? gradWeight : gradWeight.map { _ in columnsBuffer + k * plane }
                for n in images {
                    for group in 0..<g.groups {
                        let gradGroup = gradOutput + (n * g.outChannels + group * og) * plane
                        if let weightSum {
                            let columns = imageColumns(input + n * inImage, geometry: image, group: group,
                                                       buffer: columnsBuffer, table: table, threaded: threaded)
                            sgemm(transposeA: .none, transposeB: .transpose, m: og, n: k, k: plane,
                                  a: gradGroup, lda: plane, b: columns, ldb: plane,
                                  beta: n == images.lowerBound ? 0 : 1, c: weightSum + group * og * k, ldc: k,
                                  threaded: threaded)
                        }
                        if let gradInput {
                            let target = gradInput + n * inImage + group * g.groupInChannels * g.height * g.width
                            let columns = g.isPointwise ? target : columnsBuffer
                            sgemm(transposeA: .transpose, transposeB: .none, m: k, n: plane, k: og,
                                  a: weight + group * og * k, lda: k, b: gradGroup, ldb: plane, c: columns,
                                  ldc: plane, threaded: threaded)
                            if !g.isPointwise {
                                col2im(columnsBuffer, geometry: image, firstChannel: group * g.groupInChannels,
                                       channels: g.groupInChannels, into: gradInput + n * inImage,
                                       threaded: threaded)
                            }
                        }
                    }
                }
            }
        }
        if let gradWeight, chunks > 1 {
            parallelFor(weightCount, grain: 16_384) { range in
                for chunk in 1..<chunks {
                    let partial = scratch + chunk * perChunk + k * plane
                    for i in range { gradWeight[i] += partial[i] }
                }
            }
        }
    }

    /// The `[K, P]` im2col matrix of one group of one image: the image itself for pointwise convolutions.
    private static func imageColumns(
        _ image: UnsafePointer<Float>, geometry single: ConvGeometry, group: Int, buffer: UnsafeMutablePointer<Float>,
        table: UnsafePointer<Int32>?, threaded: Bool
    ) -> UnsafePointer<Float> {
        let c0 = group * single.groupInChannels
        if single.isPointwise { return image + c0 * single.height * single.width }
        im2col(image, geometry: single, firstChannel: c0, channels: single.groupInChannels, into: buffer,
               table: table, threaded: threaded)
        return UnsafePointer(buffer)
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
