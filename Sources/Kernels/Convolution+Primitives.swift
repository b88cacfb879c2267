import CDNNL

/// The convolution on oneDNN's primitives (``ConvolutionPrimitive``): how a call is split across the cores.
///
/// - A batch of at least one image per core is split into one chunk of whole images per core, each run by its own
///   primitive (created for that chunk's batch) on one pool thread.
/// - A smaller batch (batch-1 inference) splits the forward pass by output channels instead: each part writes a
///   channel slice of the output (a strided NCHW view). Its input gradient runs on one core.
/// - The weight gradient of a weight at least as large as the input (layer3 and layer4) is split by output channels
///   at any batch size: each part reads the whole batch and its channel slice of the output gradient, and writes its
///   own rows of the weight gradient. Otherwise it is split by images, with one partial sum per part added at the end.
/// - Weights are reordered into the primitive's layout once per call and shared by every chunk that uses the same
///   layout.
///
/// Shapes as ``Convolution``: input `[N, C, H, W]`, weight `[O, C/groups, kh, kw]`, bias `[O]`, output
/// `[N, O, Ho, Wo]`.
extension Convolution {
    /// Whether the primitives may use oneDNN's Winograd kernels where they measured faster
    /// (``ConvolutionPrimitive/prefersWinograd(_:_:weightsPrepared:)``). Off only to time or test the direct
    /// kernels on the same shapes: `Convolution.$winogradAllowed.withValue(false) { ... }` (`workbench bench model
    /// --against-direct-convolution`). A task-local value, read on the calling thread when a call picks its
    /// primitives, so it holds for that task's calls only (tests running beside it keep Winograd).
    @TaskLocal public static var winogradAllowed = true

    /// The parts of a call: `(images, output channels)` ranges, one per task.
    static func primitiveParts(
        _ g: ConvGeometry, _ direction: ConvolutionDirection, imagesOnly: Bool = false
    ) -> [(Range<Int>, Range<Int>)] {
        let cores = Parallelism.cores
        // Output channel slices in whole 16-channel blocks (the AVX-512 blocking), at least one block per part:
        // the forward pass of a batch smaller than the cores, and the weight gradient when the weight is at least as
        // large as the input. A batch split gives each part the whole weight gradient to compute and leaves partial
        // sums to add; sliced, each part writes its own rows. oneDNN 2.6.3 here, one core, layer4's 512 channels at
        // 7x7: 5.49 ms for half the channels over 8 images against 6.78 ms for all of them over 4, before the 9.4 MB
        // sum (equal within 3% where the planes are large and the weights small - there the batch split stays, as
        // each part would reorder the whole input).
        let blocks = g.outChannels / 16
        let slices =
            !imagesOnly && cores > 1 && g.groups == 1 && blocks >= 2
            && (direction == .forward && g.batch < cores
                || direction == .backwardWeights
                    && g.outChannels * g.columnRows >= g.batch * g.inChannels * g.height * g.width)
        if slices {
            let parts = min(cores, blocks)
            return (0..<parts).map { p in
                (
                    0..<g.batch,
                    (p == 0 ? 0 : blocks * p / parts * 16)..<(p == parts - 1
                        ? g.outChannels : blocks * (p + 1) / parts * 16)
                )
            }
        }
        if g.batch >= cores || cores == 1 {
            let chunks = min(cores, g.batch)
            return (0..<chunks).map { c in (g.batch * c / chunks..<g.batch * (c + 1) / chunks, 0..<g.outChannels) }
        }
        return [(0..<g.batch, 0..<g.outChannels)]
    }

    /// The primitive of every part (nil when oneDNN does not implement one of them: the caller uses GEMM).
    /// `weightsPrepared`: a forward's weights come from a ``PreparedWeights`` cache
    /// (``ConvolutionPrimitive/Key/weightsPrepared``).
    static func primitives(
        _ g: ConvGeometry, _ direction: ConvolutionDirection, bias: Bool, relu: Bool, layout: ForwardLayout = .plain,
        weightsPrepared: Bool = false
    ) -> [(images: Range<Int>, channels: Range<Int>, primitive: ConvolutionPrimitive)]? {
        var result: [(images: Range<Int>, channels: Range<Int>, primitive: ConvolutionPrimitive)] = []
        // Channels-last forwards are split by images only (their output is written as it is, whole channels).
        for (images, channels) in primitiveParts(g, direction, imagesOnly: layout != .plain && direction == .forward) {
            var part = g
            part.batch = images.count
            part.outChannels = channels.count
            var key = ConvolutionPrimitive.Key(
                geometry: part, direction: direction, bias: bias, relu: relu, outChannelStride: g.outChannels)
            key.sourceChannelsLast = layout.sourceChannelsLast
            key.destinationChannelsLast = layout.destinationChannelsLast
            key.sum = layout.sum
            key.weightsPrepared = weightsPrepared && direction == .forward
            key.winograd = ConvolutionPrimitive.prefersWinograd(direction, part, weightsPrepared: key.weightsPrepared)
            // A shape oneDNN's Winograd kernels refuse (or a CPU without them) runs the direct kernels; kept weights
            // make no difference to those, so the fallback shares one primitive with the per-call weights.
            var made = ConvolutionPrimitive.get(key)
            if made == nil && key.winograd {
                (key.winograd, key.weightsPrepared) = (false, false)
                made = ConvolutionPrimitive.get(key)
            }
            guard let primitive = made else { return nil }
            result.append((images, channels, primitive))
        }
        return result
    }

    /// The oneDNN implementation each part of a call on the oneDNN backend with the automatic algorithm runs
    /// (`dnnl_query_impl_info_str`: `jit_wino_4x3:avx512_core`, `brgconv:avx512_core`, ...), or nil where such a
    /// call does not run on the primitives (GEMM, the single-tap path, a channels-last call for fewer images than
    /// cores). It names what ``forward(input:weight:bias:output:geometry:workspace:relu:backend:algorithm:prepared:)``,
    /// ``backward(gradOutput:input:weight:gradInput:gradWeight:gradBias:geometry:workspace:backend:algorithm:)`` and
    /// the channels-last calls would run with the same arguments; the primitives are created and cached on the way.
    public static func primitiveImplementations(
        _ g: ConvGeometry, _ direction: ConvolutionDirection, bias: Bool = false, relu: Bool = false,
        layout: ForwardLayout = .plain, weightsPrepared: Bool = false
    ) -> [String]? {
        if layout == .plain {
            guard !usesSinglePixel(g, .oneDNN, .automatic), usesPrimitive(direction, g, .oneDNN, .automatic)
            else { return nil }
        } else {
            guard g.batch >= Parallelism.cores else { return nil }
        }
        return primitives(
            g, direction, bias: bias, relu: relu, layout: layout, weightsPrepared: weightsPrepared
        )?.map(\.primitive.implementation)
    }

    /// Reorders the weights once for every part whose primitive wants the same layout as the first's; returns the
    /// prepared map and the floats it used at the start of `scratch`. With `cache`, every part's weights come from
    /// (and are added to) the cache instead, and `scratch` is not used.
    static func prepareWeights(
        _ parts: [(images: Range<Int>, channels: Range<Int>, primitive: ConvolutionPrimitive)],
        _ weight: UnsafePointer<Float>, _ scratch: UnsafeMutablePointer<Float>, cache: PreparedWeights? = nil
    ) -> (prepared: [[Int32: UnsafeMutableRawPointer]], floats: Int) {
        if let cache {
            let prepared = parts.map { part -> [Int32: UnsafeMutableRawPointer] in
                guard let own = part.primitive.operands.first(where: { $0.argument == DNNLArgument.weights }),
                    let reorder = own.reorder
                else { return [:] }
                let offset = part.channels.lowerBound * part.primitive.key.geometry.columnRows
                let copy = cache.copy(layout: own.inner, offset: offset, floats: own.floats) { target in
                    reorder.run(
                        weight + offset, target,
                        "weights of conv2d \(ConvolutionPrimitive.describe(part.primitive.key.geometry))")
                }
                return [DNNLArgument.weights: UnsafeMutableRawPointer(copy)]
            }
            return (prepared, 0)
        }
        guard parts.count > 1, parts.allSatisfy({ $0.channels == parts[0].channels }),
            let first = parts[0].primitive.operands.first(where: { $0.argument == DNNLArgument.weights }),
            let reorder = first.reorder
        else { return (Array(repeating: [:], count: parts.count), 0) }
        reorder.run(
            weight, scratch, "weights of conv2d \(ConvolutionPrimitive.describe(parts[0].primitive.key.geometry))")
        let prepared = parts.map { part -> [Int32: UnsafeMutableRawPointer] in
            guard let own = part.primitive.operands.first(where: { $0.argument == DNNLArgument.weights }),
                OneDNN.equal(own.inner, first.inner)
            else { return [:] }
            return [DNNLArgument.weights: UnsafeMutableRawPointer(scratch)]
        }
        return (prepared, first.floats)
    }

    /// `conv2d(input, weight, bias)` [`relu`] on primitives; false when oneDNN does not implement the shape.
    /// `prepared` holds (or receives) the weights in the primitives' layouts (``PreparedWeights``).
    static func primitiveForward(
        input: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        output: UnsafeMutablePointer<Float>, geometry g: ConvGeometry, workspace: Workspace, relu: Bool,
        prepared cache: PreparedWeights? = nil, layout: ForwardLayout = .plain
    ) -> Bool {
        guard
            let parts = primitives(
                g, .forward, bias: bias != nil, relu: relu, layout: layout, weightsPrepared: cache != nil)
        else { return false }
        let weightsFloats =
            cache != nil
            ? 0 : parts[0].primitive.operands.first(where: { $0.argument == DNNLArgument.weights })?.floats ?? 0
        let perPart = parts.map(\.primitive.workspaceFloats).max() ?? 0
        let scratch = workspace.reserve(weightsFloats + parts.count * perPart)
        let (prepared, _) = prepareWeights(parts, weight, scratch, cache: cache)
        let (inImage, outImage) = (g.inChannels * g.height * g.width, g.outChannels * g.outPlane)
        parallelChunks(parts.count, chunks: parts.count) { index, _ in
            let (images, channels, primitive) = parts[index]
            var pointers = [
                UnsafeMutableRawPointer(mutating: input + images.lowerBound * inImage),
                UnsafeMutableRawPointer(mutating: weight + channels.lowerBound * g.columnRows),
            ]
            if let bias { pointers.append(UnsafeMutableRawPointer(mutating: bias + channels.lowerBound)) }
            pointers.append(
                UnsafeMutableRawPointer(output + images.lowerBound * outImage + channels.lowerBound * g.outPlane))
            primitive.run(pointers, workspace: scratch + weightsFloats + index * perPart, prepared: prepared[index])
        }
        return true
    }

    /// The input gradient on primitives (overwrites `gradInput`); false when oneDNN does not implement the shape.
    static func primitiveBackwardData(
        gradOutput: UnsafePointer<Float>, weight: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>,
        geometry g: ConvGeometry, workspace: Workspace, layout: ForwardLayout = .plain
    ) -> Bool {
        guard let parts = primitives(g, .backwardData, bias: false, relu: false, layout: layout) else { return false }
        let weightsFloats =
            parts[0].primitive.operands.first(where: { $0.argument == DNNLArgument.weights })?.floats ?? 0
        let perPart = parts.map(\.primitive.workspaceFloats).max() ?? 0
        let scratch = workspace.reserve(weightsFloats + parts.count * perPart)
        let (prepared, _) = prepareWeights(parts, weight, scratch)
        let (inImage, outImage) = (g.inChannels * g.height * g.width, g.outChannels * g.outPlane)
        parallelChunks(parts.count, chunks: parts.count) { index, _ in
            let (images, _, primitive) = parts[index]
            primitive.run(
                [
                    UnsafeMutableRawPointer(mutating: gradOutput + images.lowerBound * outImage),
                    UnsafeMutableRawPointer(mutating: weight),
                    UnsafeMutableRawPointer(gradInput + images.lowerBound * inImage),
                ], workspace: scratch + weightsFloats + index * perPart, prepared: prepared[index])
        }
        return true
    }

    /// Both gradients on primitives, the output gradient reordered once per part for both (separately, each
    /// direction reorders it on its own): when both directions split the batch into the same image chunks and want
    /// the same layout for it. Each part computes its input gradient, then its weight gradient (one partial sum per
    /// part, added at the end), on one pool thread. False, with nothing written, otherwise: the caller runs the two
    /// directions one after the other.
    static func primitiveBackwardBoth(
        gradOutput: UnsafePointer<Float>, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        gradInput: UnsafeMutablePointer<Float>, gradWeight: UnsafeMutablePointer<Float>, geometry g: ConvGeometry,
        workspace: Workspace, layout: ForwardLayout = .plain
    ) -> Bool {
        guard let data = primitives(g, .backwardData, bias: false, relu: false, layout: layout),
            let weights = primitives(g, .backwardWeights, bias: false, relu: false, layout: layout),
            data.count == weights.count
        else { return false }
        let diffDst = Int32(DNNL_ARG_DIFF_DST)
        func gradientOperand(_ p: ConvolutionPrimitive) -> ConvolutionPrimitive.Operand? {
            p.operands.first { $0.argument == diffDst && $0.reorder != nil }
        }
        let whole = 0..<g.outChannels
        for (d, w) in zip(data, weights) {
            guard d.images == w.images, d.channels == whole, w.channels == whole,
                let a = gradientOperand(d.primitive), let b = gradientOperand(w.primitive),
                OneDNN.equal(a.inner, b.inner)
            else { return false }
        }
        let weightsFloats =
            data[0].primitive.operands.first(where: { $0.argument == DNNLArgument.weights })?.floats ?? 0
        let weightCount = g.outChannels * g.columnRows
        let partialFloats = ConvolutionPrimitive.cacheLines(weightCount * MemoryLayout<Float>.stride)
        let copyFloats = data.map { gradientOperand($0.primitive)!.floats }.max() ?? 0
        let work = zip(data, weights).map { max($0.primitive.workspaceFloats, $1.primitive.workspaceFloats) }.max() ?? 0
        let perPart = copyFloats + work + partialFloats
        let scratch = workspace.reserve(weightsFloats + data.count * perPart)
        let (prepared, _) = prepareWeights(data, weight, scratch)
        let (inImage, outImage) = (g.inChannels * g.height * g.width, g.outChannels * g.outPlane)
        parallelChunks(data.count, chunks: data.count) { index, _ in
            let own = scratch + weightsFloats + index * perPart
            let (copy, free) = (UnsafeMutableRawPointer(own), own + copyFloats)
            let images = data[index].images
            let gradient = UnsafeMutableRawPointer(mutating: gradOutput + images.lowerBound * outImage)
            gradientOperand(data[index].primitive)!.reorder!.run(
                gradient, copy, "output gradient of conv2d \(ConvolutionPrimitive.describe(g))")
            var dataPrepared = prepared[index]
            dataPrepared[diffDst] = copy
            data[index].primitive.run(
                [
                    gradient, UnsafeMutableRawPointer(mutating: weight),
                    UnsafeMutableRawPointer(gradInput + images.lowerBound * inImage),
                ],
                workspace: free, prepared: dataPrepared)
            weights[index].primitive.run(
                [
                    UnsafeMutableRawPointer(mutating: input + images.lowerBound * inImage), gradient,
                    UnsafeMutableRawPointer(index == 0 ? gradWeight : free + work),
                ],
                workspace: free, prepared: [diffDst: copy])
        }
        if data.count > 1 {
            parallelFor(weightCount, grain: 16_384) { range in
                for index in 1..<data.count {
                    let partial = scratch + weightsFloats + index * perPart + copyFloats + work
                    for i in range { gradWeight[i] += partial[i] }
                }
            }
        }
        return true
    }

    /// The weight gradient on primitives (overwrites `gradWeight`; one partial sum per chunk, added in a final
    /// pass); false when oneDNN does not implement the shape.
    static func primitiveBackwardWeights(
        gradOutput: UnsafePointer<Float>, input: UnsafePointer<Float>, gradWeight: UnsafeMutablePointer<Float>,
        geometry g: ConvGeometry, workspace: Workspace, layout: ForwardLayout = .plain
    ) -> Bool {
        guard let parts = primitives(g, .backwardWeights, bias: false, relu: false, layout: layout) else {
            return false
        }
        let (inImage, outImage) = (g.inChannels * g.height * g.width, g.outChannels * g.outPlane)
        if parts.count > 1, parts[0].channels != 0..<g.outChannels {
            // Output channel slices over the whole batch: each part writes its own rows of the gradient. A slice
            // of an NHWC gradient starts at its first channel; of an NCHW one, at that channel's plane.
            let channelStep = layout.destinationChannelsLast ? 1 : g.outPlane
            let perPart = parts.map(\.primitive.workspaceFloats).max() ?? 0
            let scratch = workspace.reserve(parts.count * perPart)
            parallelChunks(parts.count, chunks: parts.count) { index, _ in
                let (_, channels, primitive) = parts[index]
                primitive.run(
                    [
                        UnsafeMutableRawPointer(mutating: input),
                        UnsafeMutableRawPointer(mutating: gradOutput + channels.lowerBound * channelStep),
                        UnsafeMutableRawPointer(gradWeight + channels.lowerBound * g.columnRows),
                    ], workspace: scratch + index * perPart)
            }
            return true
        }
        let weightCount = g.outChannels * g.columnRows
        let partialFloats = ConvolutionPrimitive.cacheLines(weightCount * MemoryLayout<Float>.stride)
        let perPart = (parts.map(\.primitive.workspaceFloats).max() ?? 0) + partialFloats
        let scratch = workspace.reserve(parts.count * perPart)
        parallelChunks(parts.count, chunks: parts.count) { index, _ in
            let (images, _, primitive) = parts[index]
            let own = scratch + index * perPart
            let target = index == 0 ? gradWeight : own + primitive.workspaceFloats
            primitive.run(
                [
                    UnsafeMutableRawPointer(mutating: input + images.lowerBound * inImage),
                    UnsafeMutableRawPointer(mutating: gradOutput + images.lowerBound * outImage),
                    UnsafeMutableRawPointer(target),
                ], workspace: own)
        }
        if parts.count > 1 {
            parallelFor(weightCount, grain: 16_384) { range in
                for index in 1..<parts.count {
                    let partial = scratch + index * perPart + parts[index].primitive.workspaceFloats
                    for i in range { gradWeight[i] += partial[i] }
                }
            }
        }
        return true
    }
}

/// The layouts of a convolution's activations on oneDNN's primitives
/// (``Convolution/channelsLastForward(input:weight:bias:output:geometry:workspace:relu:layout:prepared:)``,
/// ``Convolution/channelsLastBackward(gradOutput:input:weight:gradInput:gradWeight:geometry:workspace:)``):
/// plain NCHW (reordered into the layout the primitive chooses), or NHWC. A direct forward primitive takes NHWC as it
/// is - the layout its brgemm kernels use on AVX-512, so there is no reorder at all; a Winograd forward and a backward
/// one reorder NHWC into their blocked layout as they do NCHW (oneDNN 2.6.3's blocked backward kernels are faster than
/// its NHWC ones). The backward directions take both activations channels-last (``channelsLast``) or neither.
public struct ForwardLayout: Hashable, Sendable {
    /// The input is `[N, H, W, C]` in memory (the shape stays `[N, C, H, W]`).
    public var sourceChannelsLast: Bool
    /// The output is `[N, Ho, Wo, O]` in memory.
    public var destinationChannelsLast: Bool
    /// The output's previous values are added before the ReLU (a residual add; channels-last output only).
    public var sum: Bool

    public init(sourceChannelsLast: Bool = false, destinationChannelsLast: Bool = false, sum: Bool = false) {
        (self.sourceChannelsLast, self.destinationChannelsLast, self.sum) = (
            sourceChannelsLast, destinationChannelsLast, sum
        )
    }

    /// NCHW in and out, nothing added: every call that does not ask for more.
    public static let plain = ForwardLayout()
    /// NHWC in and out, nothing added.
    public static let channelsLast = ForwardLayout(sourceChannelsLast: true, destinationChannelsLast: true)
}

/// oneDNN's argument indices used here (the C macros `DNNL_ARG_*`).
enum DNNLArgument {
    static let weights = Int32(DNNL_ARG_WEIGHTS)
}
