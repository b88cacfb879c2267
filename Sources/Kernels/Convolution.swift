/// 2-D convolution over NCHW batches as im2col + GEMM (the algorithm of `at::native::slow_conv2d`).
///
/// The batch is split into one chunk of whole images per core (``Schedule``), and each chunk is worked in
/// blocks of images, chosen by the output plane size `P = Ho * Wo`:
/// - large planes (early layers): blocks of one image, im2col into a `[K, P]` buffer that stays cache-warm and a
///   GEMM straight into the output - no transposes, small workspace;
/// - small planes (late layers, e.g. 7x7): one block for the whole chunk (`count * P` columns), so that the GEMM
///   stays large and well shaped, then a permute of the `[O, count, P]` product into `[N, O, P]`.
/// The backward pass uses the same blocks; weight gradients accumulate over a chunk's blocks in the GEMM
/// (`beta = 1`) and over chunks in a final sum.
///
/// Shapes: input `[N, C, H, W]`, weight `[O, C/groups, kh, kw]`, bias `[O]`, output `[N, O, Ho, Wo]`.
public enum Convolution {
    /// Output planes at least this large are computed image by image (smaller ones batch a chunk's images into
    /// one GEMM).
    public static let perImagePlaneThreshold = 256

    /// How one convolution splits its batch, shared by the forward and backward passes.
    struct Schedule {
        /// Image-parallel tasks: one per core, each taking whole images with its own slice of the workspace and
        /// single-threaded im2col and GEMMs, when the batch divides evenly enough among the cores; else 1, and the
        /// im2col loops and GEMMs of each block are split across the cores instead. Whole images per core keep
        /// each core's columns in its own cache and replace two parallel dispatches per image and group by one per
        /// convolution (at 16x16 planes, batch 32, this halved the time of layer1).
        let chunks: Int
        /// Images per block: a whole chunk for small planes, one for large planes.
        let block: Int
        /// A single pointwise image needs no unfolding: the image is its own im2col matrix.
        let direct: Bool
        /// Floats of one chunk's im2col matrix (`K * block * P`, 0 when direct).
        let columnFloats: Int
        /// Floats of one input image (`C * H * W`).
        let inImage: Int

        init(_ g: ConvGeometry) {
            let cores = Parallelism.cores
            let even = cores > 1 && g.batch >= cores && (g.batch % cores == 0 || g.batch >= 4 * cores)
            chunks = even ? cores : 1
            block = g.outPlane < perImagePlaneThreshold ? max(1, (g.batch + chunks - 1) / chunks) : 1
            direct = g.isPointwise && block == 1
            columnFloats = direct ? 0 : g.columnRows * block * g.outPlane
            inImage = g.inChannels * g.height * g.width
        }

        /// True when the im2col loops and GEMMs split their own work across the cores (a single chunk).
        var threaded: Bool { chunks == 1 }
    }

    /// Writes `conv2d(input, weight, bias)` into `output`, or `relu(conv2d(input, weight, bias))` with `relu`
    /// (applied in the same pass over the output as the bias).
    ///
    /// `prepared`: for weights that will not change before the next call (frozen, or folded for inference), the
    /// cache of their reordered copies (``PreparedWeights``); the oneDNN primitive path then reorders them once
    /// instead of on every call. The caller must drop it when the weights change.
    public static func forward(
        input: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        output: UnsafeMutablePointer<Float>, geometry g: ConvGeometry, workspace: Workspace, relu: Bool = false,
        backend: KernelBackend = .selected, algorithm: ConvolutionAlgorithm = .automatic,
        prepared: PreparedWeights? = nil
    ) {
        if usesSinglePixel(g, backend, algorithm) {
            singlePixelForward(
                input: input, weight: weight, bias: bias, output: output, geometry: g, workspace: workspace,
                relu: relu, backend: backend, prepared: prepared)
            return
        }
        if usesPrimitive(.forward, g, backend, algorithm),
            primitiveForward(
                input: input, weight: weight, bias: bias, output: output, geometry: g, workspace: workspace, relu: relu,
                prepared: prepared)
        {
            return
        }
        let (k, og, plane) = (g.columnRows, g.groupOutChannels, g.outPlane)
        let schedule = Schedule(g)
        let (chunks, threaded, block, direct) = (schedule.chunks, schedule.threaded, schedule.block, schedule.direct)
        let (inImage, columnFloats) = (schedule.inImage, schedule.columnFloats)
        let perChunk = columnFloats + (block > 1 ? og * block * plane : 0)
        let scratch = workspace.reserve(chunks * perChunk)
        parallelChunks(g.batch, chunks: chunks) { chunk, images in
            let columns = scratch + chunk * perChunk
            let product = columns + columnFloats
            for first in stride(from: images.lowerBound, to: images.upperBound, by: block) {
                var part = g
                part.batch = min(block, images.upperBound - first)
                let np = part.columnCount
                let source = input + first * inImage
                let single = part.batch == 1
                for group in 0..<g.groups {
                    let c0 = group * g.groupInChannels
                    let unfolded: UnsafePointer<Float>
                    if direct {
                        unfolded = source + c0 * g.height * g.width
                    } else {
                        im2col(
                            source, geometry: part, firstChannel: c0, channels: g.groupInChannels, into: columns,
                            threaded: threaded)
                        unfolded = UnsafePointer(columns)
                    }
                    // One image: the product [Og, P] is its slice of the output. Several: [Og, count, P], permuted.
                    sgemm(
                        transposeA: .none, transposeB: .none, m: og, n: np, k: k,
                        a: weight + group * og * k, lda: k, b: unfolded, ldb: np,
                        c: single ? output + (first * g.outChannels + group * og) * plane : product, ldc: np,
                        threaded: threaded, backend: backend)
                    if single { continue }
                    for o in 0..<og {
                        for i in 0..<part.batch {
                            (output + ((first + i) * g.outChannels + group * og + o) * plane)
                                .update(from: product + (o * part.batch + i) * plane, count: plane)
                        }
                    }
                }
            }
        }
        epilogue(output, bias: bias, relu: relu, geometry: g)
    }

    /// `conv2d(input, weight, bias)` [+ the output's previous values] [`relu`] with channels-last activations
    /// (``ForwardLayout``) on oneDNN's primitives, the batch split by images across the cores; false (and nothing
    /// written) when that cannot run: another backend, a batch smaller than the cores, or a shape oneDNN does not
    /// implement. ``canRunChannelsLast(_:bias:relu:layout:weightsPrepared:)`` asks the same question without running.
    ///
    /// Shapes as ``forward(input:weight:bias:output:geometry:workspace:relu:backend:algorithm:prepared:)``, with the
    /// channels-last tensors `[N, H, W, C]` in memory.
    public static func channelsLastForward(
        input: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        output: UnsafeMutablePointer<Float>, geometry g: ConvGeometry, workspace: Workspace, relu: Bool,
        layout: ForwardLayout, prepared: PreparedWeights? = nil
    ) -> Bool {
        // primitiveForward itself returns false, having written nothing, when a part's primitive is unimplemented.
        guard KernelBackend.selected == .oneDNN && g.batch >= Parallelism.cores else { return false }
        return primitiveForward(
            input: input, weight: weight, bias: bias, output: output, geometry: g, workspace: workspace, relu: relu,
            prepared: prepared, layout: layout)
    }

    /// Whether ``channelsLastForward(input:weight:bias:output:geometry:workspace:relu:layout:prepared:)`` runs for
    /// this geometry (the primitives are created and cached on the way); `weightsPrepared`: the call will pass a
    /// ``PreparedWeights`` cache.
    public static func canRunChannelsLast(
        _ g: ConvGeometry, bias: Bool, relu: Bool, layout: ForwardLayout, weightsPrepared: Bool = false
    ) -> Bool {
        KernelBackend.selected == .oneDNN && g.batch >= Parallelism.cores
            && primitives(g, .forward, bias: bias, relu: relu, layout: layout, weightsPrepared: weightsPrepared) != nil
    }

    /// The input and weight gradients of a bias-free convolution with channels-last activations (gradOutput
    /// `[N, Ho, Wo, O]`, input and gradInput `[N, H, W, C]` in memory; weight and gradWeight `[O, C/groups, kh, kw]`)
    /// on oneDNN's primitives, split across the cores as
    /// ``backward(gradOutput:input:weight:gradInput:gradWeight:gradBias:geometry:workspace:backend:algorithm:)`` splits
    /// them, the activations reordered into the primitives' blocked layout and back (``ForwardLayout``); each given
    /// buffer is overwritten. False, with nothing written, when that cannot run (as
    /// ``channelsLastForward(input:weight:bias:output:geometry:workspace:relu:layout:prepared:)``).
    public static func channelsLastBackward(
        gradOutput: UnsafePointer<Float>, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        gradInput: UnsafeMutablePointer<Float>?, gradWeight: UnsafeMutablePointer<Float>?, geometry g: ConvGeometry,
        workspace: Workspace
    ) -> Bool {
        guard canRunChannelsLastBackward(g, data: gradInput != nil, weights: gradWeight != nil) else { return false }
        if let gradInput, let gradWeight,
            primitiveBackwardBoth(
                gradOutput: gradOutput, input: input, weight: weight, gradInput: gradInput, gradWeight: gradWeight,
                geometry: g, workspace: workspace, layout: .channelsLast)
        {
            return true
        }
        if let gradInput {
            let ran = primitiveBackwardData(
                gradOutput: gradOutput, weight: weight, gradInput: gradInput, geometry: g, workspace: workspace,
                layout: .channelsLast)
            precondition(ran, "channels-last backward-data primitive refused after it was checked")
        }
        if let gradWeight {
            let ran = primitiveBackwardWeights(
                gradOutput: gradOutput, input: input, gradWeight: gradWeight, geometry: g, workspace: workspace,
                layout: .channelsLast)
            precondition(ran, "channels-last backward-weights primitive refused after it was checked")
        }
        return true
    }

    /// Whether ``channelsLastBackward(gradOutput:input:weight:gradInput:gradWeight:geometry:workspace:)`` runs for
    /// this geometry and these gradients (the primitives are created and cached on the way).
    public static func canRunChannelsLastBackward(_ g: ConvGeometry, data: Bool = true, weights: Bool = true) -> Bool {
        KernelBackend.selected == .oneDNN && g.batch >= Parallelism.cores
            && (!data || primitives(g, .backwardData, bias: false, relu: false, layout: .channelsLast) != nil)
            && (!weights || primitives(g, .backwardWeights, bias: false, relu: false, layout: .channelsLast) != nil)
    }

    /// The epilogue, one pass over the output `[N, O, Ho, Wo]`: `+ bias`, then `max(., 0)` with `relu` (NaN stays
    /// NaN, as `torch.relu`); nothing without either.
    static func epilogue(
        _ output: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?, relu: Bool, geometry g: ConvGeometry
    ) {
        guard bias != nil || relu else { return }
        let plane = g.outPlane
        parallelFor(g.batch * g.outChannels, grain: max(1, 32_768 / max(plane, 1))) { rows in
            for r in rows {
                let row = output + r * plane
                let b = bias?[r % g.outChannels] ?? 0
                if relu {
                    for p in 0..<plane {
                        let v = row[p] + b
                        row[p] = v < 0 ? 0 : v
                    }
                } else {
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
        gradBias: UnsafeMutablePointer<Float>?, geometry g: ConvGeometry, workspace: Workspace,
        backend: KernelBackend = .selected, algorithm: ConvolutionAlgorithm = .automatic
    ) {
        let (k, og, plane) = (g.columnRows, g.groupOutChannels, g.outPlane)
        if let gradBias {
            for o in 0..<g.outChannels {
                var sum = 0.0
                for n in 0..<g.batch {
                    sum += Elementwise.sum(gradOutput + (n * g.outChannels + o) * plane, count: plane)
                }
                gradBias[o] = Float(sum)
            }
        }
        if usesSinglePixel(g, backend, algorithm) {
            singlePixelBackward(
                gradOutput: gradOutput, input: input, weight: weight, gradInput: gradInput, gradWeight: gradWeight,
                geometry: g, workspace: workspace, backend: backend)
            return
        }
        var (gradInput, gradWeight) = (gradInput, gradWeight)
        if let data = gradInput, let weights = gradWeight, usesPrimitive(.backwardData, g, backend, algorithm),
            usesPrimitive(.backwardWeights, g, backend, algorithm),
            primitiveBackwardBoth(
                gradOutput: gradOutput, input: input, weight: weight, gradInput: data, gradWeight: weights,
                geometry: g, workspace: workspace)
        {
            (gradInput, gradWeight) = (nil, nil)
        }
        if let target = gradInput, usesPrimitive(.backwardData, g, backend, algorithm),
            primitiveBackwardData(
                gradOutput: gradOutput, weight: weight, gradInput: target, geometry: g, workspace: workspace)
        {
            gradInput = nil
        }
        if let target = gradWeight, usesPrimitive(.backwardWeights, g, backend, algorithm),
            primitiveBackwardWeights(
                gradOutput: gradOutput, input: input, gradWeight: target, geometry: g, workspace: workspace)
        {
            gradWeight = nil
        }
        guard gradInput != nil || gradWeight != nil else { return }
        let schedule = Schedule(g)
        let (chunks, threaded, block, direct) = (schedule.chunks, schedule.threaded, schedule.block, schedule.direct)
        let (inImage, columnFloats) = (schedule.inImage, schedule.columnFloats)
        let weightCount = g.outChannels * k
        let gradRowFloats = block > 1 ? g.outChannels * block * plane : 0
        let perChunk = columnFloats + gradRowFloats + (gradWeight != nil ? weightCount : 0)
        let scratch = workspace.reserve(chunks * perChunk)
        if let gradInput, !direct { gradInput.update(repeating: 0, count: g.batch * inImage) }
        parallelChunks(g.batch, chunks: chunks) { chunk, images in
            let columns = scratch + chunk * perChunk
            let gradRows = columns + columnFloats
            // Chunk 0 accumulates into gradWeight itself, every other chunk into its own partial sum.
            let weightSum = chunk == 0 ? gradWeight : gradWeight.map { _ in gradRows + gradRowFloats }
            for first in stride(from: images.lowerBound, to: images.upperBound, by: block) {
                var part = g
                part.batch = min(block, images.upperBound - first)
                let np = part.columnCount
                // gradOutput of the block as [O, count * P], the layout its GEMMs want.
                let grads: UnsafePointer<Float>
                if part.batch == 1 {
                    grads = gradOutput + first * g.outChannels * plane
                } else {
                    for i in 0..<part.batch {
                        for o in 0..<g.outChannels {
                            (gradRows + (o * part.batch + i) * plane)
                                .update(from: gradOutput + ((first + i) * g.outChannels + o) * plane, count: plane)
                        }
                    }
                    grads = UnsafePointer(gradRows)
                }
                let source = input + first * inImage
                let target = gradInput.map { $0 + first * inImage }
                for group in 0..<g.groups {
                    let c0 = group * g.groupInChannels
                    let gradGroup = grads + group * og * np
                    if let weightSum {
                        let unfolded: UnsafePointer<Float>
                        if direct {
                            unfolded = source + c0 * g.height * g.width
                        } else {
                            im2col(
                                source, geometry: part, firstChannel: c0, channels: g.groupInChannels,
                                into: columns, threaded: threaded)
                            unfolded = UnsafePointer(columns)
                        }
                        sgemm(
                            transposeA: .none, transposeB: .transpose, m: og, n: k, k: np,
                            a: gradGroup, lda: np, b: unfolded, ldb: np, beta: first == images.lowerBound ? 0 : 1,
                            c: weightSum + group * og * k, ldc: k, threaded: threaded, backend: backend)
                    }
                    if let target {
                        let product = direct ? target + c0 * g.height * g.width : columns
                        sgemm(
                            transposeA: .transpose, transposeB: .none, m: k, n: np, k: og,
                            a: weight + group * og * k, lda: k, b: gradGroup, ldb: np, c: product, ldc: np,
                            threaded: threaded, backend: backend)
                        if !direct {
                            col2im(
                                columns, geometry: part, firstChannel: c0, channels: g.groupInChannels,
                                into: target, threaded: threaded)
                        }
                    }
                }
            }
        }
        if let gradWeight, chunks > 1 {
            parallelFor(weightCount, grain: 16_384) { range in
                for chunk in 1..<chunks {
                    let partial = scratch + chunk * perChunk + columnFloats + gradRowFloats
                    for i in range { gradWeight[i] += partial[i] }
                }
            }
        }
    }

    /// Whether this direction runs on oneDNN's primitive: only on the oneDNN backend, and there as `algorithm`
    /// says (``ConvolutionAlgorithm``).
    public static func usesPrimitive(
        _ direction: ConvolutionDirection, _ g: ConvGeometry, _ backend: KernelBackend,
        _ algorithm: ConvolutionAlgorithm
    ) -> Bool {
        guard backend == .oneDNN else { return false }
        switch algorithm {
        case .gemm: return false
        case .primitive: return true
        case .automatic: return ConvolutionPrimitive.preferred(direction, g)
        }
    }
}
