import CDNNL
import Foundation

/// How the oneDNN backend computes a convolution
/// (``Convolution/forward(input:weight:bias:output:geometry:workspace:relu:backend:algorithm:)``).
///
/// - ``automatic``: oneDNN's convolution primitive where it measured faster than im2col + GEMM on this machine
///   kind (``ConvolutionPrimitive/preferred(_:_:)``), im2col + `dnnl_sgemm` elsewhere;
/// - ``gemm``: always im2col + GEMM (the reference path's algorithm, on the selected backend's GEMM);
/// - ``primitive``: always oneDNN's primitive where oneDNN implements the shape (tests, per-shape benchmark).
/// The reference backend (`WORKBENCH_KERNELS=reference`) always runs im2col + OpenBLAS, whatever is asked here.
public enum ConvolutionAlgorithm: String, CaseIterable, Sendable {
    case automatic, gemm, primitive
}

/// One direction of a convolution, as oneDNN names them.
public enum ConvolutionDirection: String, CaseIterable, Hashable, Sendable {
    /// `dst = conv(src, weights) [+ bias] [relu]` (`dnnl_convolution_forward_desc_init`).
    case forward
    /// `diff_src = conv_transpose(diff_dst, weights)` (`dnnl_convolution_backward_data_desc_init`).
    case backwardData = "backward-data"
    /// `diff_weights = conv(src, diff_dst)` (`dnnl_convolution_backward_weights_desc_init`).
    case backwardWeights = "backward-weights"
}

/// One oneDNN convolution primitive (`dnnl_primitive_desc_create` + `dnnl_primitive_create`) for one part of a
/// batch, with the reorders between our plain NCHW / OIHW tensors and the layouts the primitive chose.
///
/// Layouts: the primitive is created with `dnnl_format_tag_any` for every tensor it may lay out itself, so it picks
/// its layouts (nChw16c activations and blocked weights for its direct JIT kernels, NHWC for its brgemm forward
/// kernels on AVX-512); our tensors are reordered in and out on every call. Channels-last activations
/// (``Key/sourceChannelsLast``) are the exception in a direct forward primitive: given as they are (a Winograd one,
/// ``Key/winograd``, reorders them into nChw16c like any other). Measured per ResNet-18 shape (BENCHMARKS.md), that
/// beat plain nchw/oihw primitives (which oneDNN runs as its own im2col + GEMM, `gemm:jit`) on nearly every shape,
/// reorders included.
///
/// Primitives are expensive to create (JIT code generation) and are cached per ``Key`` (part geometry, direction,
/// bias, ReLU, output stride, layouts, sum, algorithm, kept weights) for the life of the process; creation and
/// execution run with a one-thread OpenMP team on the calling thread, the batch being split across cores by our pool.
/// The scratchpad is ours (`dnnl_scratchpad_mode_user`, from the caller's ``Workspace``), so two threads may run one
/// primitive at once.
final class ConvolutionPrimitive: @unchecked Sendable {
    /// What identifies a primitive: the part's geometry (its batch and, for channel splits, its output channels),
    /// the full tensor's output channel count (the channel stride of a slice), the direction and the epilogue.
    struct Key: Hashable {
        var geometry: ConvGeometry
        var direction: ConvolutionDirection
        var bias: Bool
        var relu: Bool
        /// Output channels of the whole tensor the part writes into (== geometry.outChannels unless split).
        var outChannelStride: Int
        /// The input (and, backward, its gradient) is NHWC (channels last). A direct forward primitive uses it as it
        /// is (no reorder: its brgemm kernels compute in NHWC); a Winograd or backward one reorders it into the
        /// blocked layout it chooses, as it does a plain NCHW tensor (its blocked kernels are faster than its NHWC
        /// ones).
        var sourceChannelsLast = false
        /// The output (and, backward, its gradient) is NHWC, as the input: used as it is by a direct forward
        /// primitive (whole channels), reordered by a Winograd or backward one (a channel slice of a whole-channel
        /// tensor `outChannelStride` wide for a sliced weight gradient). The backward directions take both
        /// activations channels-last or neither.
        var destinationChannelsLast = false
        /// `dst = relu?(conv(src) + bias + dst)`: the output's previous values are added before the ReLU (oneDNN's
        /// sum post-op; the residual add of a ResNet block). Only with a channels-last output.
        var sum = false
        /// oneDNN's Winograd F(4x4, 3x3) algorithm (`dnnl_convolution_winograd`) instead of direct convolution; only
        /// where ``prefersWinograd(_:_:weightsPrepared:)`` says so (3x3, stride 1, the activations reordered into
        /// nChw16c).
        var winograd = false
        /// The weights are reordered once and kept (``PreparedWeights``: frozen or eval-folded weights). A Winograd
        /// forward then takes them already transformed (`forward_inference`, oneDNN's `wino` weights layout);
        /// otherwise, its weights changing every step, it transforms them itself on every call (`forward_training`).
        var weightsPrepared = false
    }

    /// One tensor argument: its index (`DNNL_ARG_SRC`, ...), our plain layout, the primitive's, and the reorder
    /// between them when they differ (into the primitive's layout for inputs, out of it for the output).
    struct Operand {
        let argument: Int32
        let plain: dnnl_memory_desc_t
        let inner: dnnl_memory_desc_t
        let reorder: OneDNN.Reorder?
        /// For an output whose previous values the sum post-op adds to (``Key/sum``) and which is reordered: the copy
        /// is first filled from our tensor (plain into the primitive's layout).
        var fill: OneDNN.Reorder? = nil
        /// Floats of the reordered copy (0 without a reorder), rounded up to whole cache lines.
        let floats: Int
    }

    let key: Key
    let primitive: dnnl_primitive_t
    /// Inputs first, the output last (``ConvolutionDirection``'s argument order).
    let operands: [Operand]
    let scratchpad: dnnl_memory_desc_t
    let scratchpadFloats: Int
    /// The oneDNN implementation chosen (`dnnl_query_impl_info_str`, e.g. `jit:avx512_core`).
    let implementation: String

    /// Floats of workspace one execution needs: the reordered copies and the scratchpad.
    var workspaceFloats: Int { operands.reduce(scratchpadFloats) { $0 + $1.floats } }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var cache: [Key: ConvolutionPrimitive?] = [:]

    /// The cached primitive for `key`, created on first use; nil when oneDNN does not implement the shape
    /// (`dnnl_unimplemented`: the caller computes it with im2col + GEMM instead). Any other error stops.
    static func get(_ key: Key) -> ConvolutionPrimitive? {
        lock.lock()
        defer { lock.unlock() }
        if let cached = cache[key] { return cached }
        let made = ConvolutionPrimitive(key)
        cache[key] = made
        return made
    }

    /// Whether ``ConvolutionAlgorithm/automatic`` uses the primitive for this direction and (whole-batch)
    /// geometry, from the per-shape measurements in BENCHMARKS.md.
    static func preferred(_ direction: ConvolutionDirection, _ g: ConvGeometry) -> Bool {
        // Backward data into few input channels (the 3-channel stem) pads them to a 16-channel block: 3-4x slower
        // than GEMM + col2im.
        if direction == .backwardData && g.groupInChannels < 16 { return false }
        // A batch smaller than the cores runs the primitive's backward on one core, where GEMM splits its columns
        // between them: 1.2-3.1x slower at batch 1.
        if direction != .forward && g.batch < Parallelism.cores { return false }
        let strided = g.strideH > 1 || g.strideW > 1
        // 1x1 stride-2 forwards (the downsample branches): the reorders cost more than the product, 1.15-2.2x.
        if direction == .forward && strided && g.kernelHeight == 1 && g.kernelWidth == 1 { return false }
        // layer4's stride-2 convolutions (256 input channels) and layer3's at a 4x4 output or less: the weights'
        // reorder (up to 256x512x9 floats per call) dominates small planes, 1.1-2.3x in every direction.
        if strided && (g.inChannels >= 256 || (g.inChannels >= 128 && g.outPlane <= 16)) { return false }
        // layer4's 512->512: the backward directions lose 1.0-3.1x at every batch; the forward at planes of 2x2
        // and below, 2.4x.
        if g.inChannels >= 512 && (direction != .forward || g.outPlane <= 4) { return false }
        return true
    }

    /// Whether a part (`g`: its own batch and channels) runs oneDNN's Winograd kernels (`jit_wino_4x3`, F(4x4, 3x3);
    /// `jit_fp32_wino_2x3` for a one-image forward) instead of its direct ones, from the per-shape measurements in
    /// BENCHMARKS.md. Winograd transforms every 6x6 input tile, the 3x3 weights to 6x6 and every 4x4 output tile, so
    /// that one product per tile does the work of 16 outputs' 9 taps: 2.25x fewer multiplies, measured up to 2.6x
    /// faster here where there are enough tiles to pay for the transforms. `weightsPrepared`: the forward's weights
    /// are kept transformed (``Key/weightsPrepared``). Only the measuring switch ``Convolution/winogradAllowed``
    /// turns it off.
    static func prefersWinograd(_ direction: ConvolutionDirection, _ g: ConvGeometry, weightsPrepared: Bool) -> Bool {
        guard Convolution.winogradAllowed, g.kernelHeight == 3, g.kernelWidth == 3, g.strideH == 1, g.strideW == 1,
            g.dilationH == 1, g.dilationW == 1, g.padH == 1, g.padW == 1, g.groups == 1,
            g.inChannels % 16 == 0, g.outChannels % 16 == 0
        else { return false }
        let channels = max(g.inChannels, g.outChannels)
        switch direction {
        case .forward where weightsPrepared:
            // One core, oneDNN 2.6.3, against the direct (brgemm) kernels, both on kept weights: 64 channels at 56x56
            // over 4 images 2.0x, at 16x16 over 16 1.6-2.0x; 128 at 28x28 for one image 2.4x; 256 at 14x14 over 4-8
            // images 1.3-1.7x, at 4x4 over 16 2.7-3x, for one image 1.6x. Slower at 2x2 planes (0.35-0.9x) and at
            // 512 channels over 4 images (0.6x).
            return g.outPlane >= 16 && (channels <= 256 || g.batch == 1)
        case .forward:
            // Weights transformed on every call: 64 channels at 56x56 1.75x, 128 at 28x28 1.7x, 64 at 16x16 over 16
            // images 1.4x; at 8x8 planes equal (1.02x), before the activations' reorders that the brgemm kernels
            // do not need.
            return channels <= 128 && g.outPlane >= 256
        case .backwardData, .backwardWeights:
            // Against the direct (blocked) kernels, backward data / weights: 64 channels at 56x56 2.1x / 2.1x, at
            // 16x16 over 16 images 1.6x / 1.1x, at 8x8 over 32 2.0x / 1.4x; 128 at 28x28 1.9x / 2.0x, at 4x4 over 32
            // images 0.82x / 1.9x. From 256 channels on the gains shrink (256 at 14x14 over 4 images 1.2x / 1.5x on
            // one core, equal for backward data inside a training step; 512 at 7x7 0.53x / 0.95x) while the
            // scratchpad grows to 20-37 MB per part: layer3 and layer4 keep the direct kernels.
            let tiles = g.batch * ((g.outHeight + 3) / 4) * ((g.outWidth + 3) / 4)
            guard channels <= 128, tiles * 4 >= channels else { return false }
            return direction == .backwardWeights || g.outPlane >= 64
        }
    }

    private init?(_ key: Key) {
        let g = key.geometry
        let what = "conv2d \(key.direction.rawValue) \(Self.describe(g))"
        OpenMPThreads.singleOnThisThread()
        let groups = g.groups
        let weightShape =
            groups > 1
            ? [groups, g.groupOutChannels, g.groupInChannels, g.kernelHeight, g.kernelWidth]
            : [g.outChannels, g.groupInChannels, g.kernelHeight, g.kernelWidth]
        let weightTag = groups > 1 ? dnnl_goihw : dnnl_oihw
        let srcShape = [g.batch, g.inChannels, g.height, g.width]
        let dstShape = [g.batch, g.outChannels, g.outHeight, g.outWidth]
        precondition(
            key.direction == .forward
                || (!key.sum && key.sourceChannelsLast == key.destinationChannelsLast && !key.bias && !key.relu),
            "a backward convolution takes both activations channels-last or neither, and no epilogue")
        precondition(
            !((key.destinationChannelsLast && key.direction == .forward) || key.sum)
                || key.outChannelStride == g.outChannels,
            "a channels-last output or a sum is written whole, not in channel slices")
        precondition(!key.sum || key.destinationChannelsLast, "the sum post-op reads a channels-last output")
        let plainSrc = OneDNN.descriptor(srcShape, key.sourceChannelsLast ? dnnl_nhwc : dnnl_nchw)
        let plainWeights = OneDNN.descriptor(weightShape, weightTag)
        let plainDst =
            key.destinationChannelsLast
            ? OneDNN.descriptor(
                dstShape,
                strides: [
                    key.outChannelStride * g.outPlane, 1, g.outWidth * key.outChannelStride, key.outChannelStride,
                ])
            : OneDNN.descriptor(dstShape, strides: [key.outChannelStride * g.outPlane, g.outPlane, g.outWidth, 1])
        let plainBias = OneDNN.descriptor([g.outChannels], dnnl_x)
        // Channels-last operands of a direct forward primitive are given to it as they are; every other operand lets
        // it choose (and is reordered) - Winograd's kernels take only blocked activations.
        let isForward = key.direction == .forward
        let inPlace = isForward && !key.winograd
        var anySrc = key.sourceChannelsLast && inPlace ? plainSrc : OneDNN.descriptor(srcShape, dnnl_format_tag_any)
        var anyWeights = OneDNN.descriptor(weightShape, dnnl_format_tag_any)
        var anyDst =
            key.destinationChannelsLast && inPlace ? plainDst : OneDNN.descriptor(dstShape, dnnl_format_tag_any)
        let bias = UnsafeMutablePointer<dnnl_memory_desc_t>.allocate(capacity: 1)
        bias.initialize(to: plainBias)
        defer { bias.deallocate() }
        let strides = OneDNN.dims([g.strideH, g.strideW])
        let dilates = OneDNN.dims([g.dilationH - 1, g.dilationW - 1])
        let padding = OneDNN.dims([g.padH, g.padW])

        var attr: dnnl_primitive_attr_t?
        OneDNN.check(dnnl_primitive_attr_create(&attr), "attributes for \(what)")
        defer { dnnl_primitive_attr_destroy(attr) }
        OneDNN.check(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user), "scratchpad for \(what)")
        if key.relu || key.sum {
            var postOps: dnnl_post_ops_t?
            OneDNN.check(dnnl_post_ops_create(&postOps), "post-ops for \(what)")
            defer { dnnl_post_ops_destroy(postOps) }
            if key.sum { OneDNN.check(dnnl_post_ops_append_sum(postOps, 1), "sum post-op for \(what)") }
            if key.relu {
                OneDNN.check(
                    dnnl_post_ops_append_eltwise(postOps, 1, dnnl_eltwise_relu, 0, 0), "ReLU post-op for \(what)")
            }
            OneDNN.check(dnnl_primitive_attr_set_post_ops(attr, postOps), "post-ops for \(what)")
        }

        let algorithm = key.winograd ? dnnl_convolution_winograd : dnnl_convolution_direct
        // The forward descriptor: the primitive itself, or the hint a backward primitive is created against.
        var forward = dnnl_convolution_desc_t()
        OneDNN.check(
            dnnl_dilated_convolution_forward_desc_init(
                &forward,
                key.direction == .forward && (!key.winograd || key.weightsPrepared)
                    ? dnnl_forward_inference : dnnl_forward_training,
                algorithm, &anySrc, &anyWeights, key.bias ? UnsafePointer(bias) : nil, &anyDst, strides,
                dilates,
                padding, padding),
            "forward descriptor for \(what)")
        var pd: dnnl_primitive_desc_t?
        func create(_ desc: UnsafeRawPointer, hint: dnnl_primitive_desc_t?) -> Bool {
            let status = dnnl_primitive_desc_create(&pd, desc, attr, OneDNN.engine, hint)
            if status == dnnl_unimplemented { return false }
            OneDNN.check(status, "primitive descriptor for \(what)")
            return true
        }
        switch key.direction {
        case .forward:
            guard create(&forward, hint: nil) else { return nil }
        case .backwardData, .backwardWeights:
            var hint: dnnl_primitive_desc_t?
            let status = dnnl_primitive_desc_create(&hint, &forward, nil, OneDNN.engine, nil)
            if status == dnnl_unimplemented { return nil }
            OneDNN.check(status, "forward hint for \(what)")
            defer { dnnl_primitive_desc_destroy(hint) }
            var backward = dnnl_convolution_desc_t()
            if key.direction == .backwardData {
                OneDNN.check(
                    dnnl_dilated_convolution_backward_data_desc_init(
                        &backward, algorithm, &anySrc, &anyWeights, &anyDst, strides, dilates,
                        padding, padding),
                    "backward-data descriptor for \(what)")
            } else {
                OneDNN.check(
                    dnnl_dilated_convolution_backward_weights_desc_init(
                        &backward, algorithm, &anySrc, &anyWeights, nil, &anyDst, strides, dilates,
                        padding, padding),
                    "backward-weights descriptor for \(what)")
            }
            guard create(&backward, hint: hint) else { return nil }
        }
        defer { dnnl_primitive_desc_destroy(pd) }

        func chosen(_ query: dnnl_query_t, index: Int32 = 0) -> dnnl_memory_desc_t {
            dnnl_primitive_desc_query_md(pd, query, index).pointee
        }
        func operand(
            _ argument: Int32, _ plain: dnnl_memory_desc_t, _ query: dnnl_query_t, index: Int32 = 0, output: Bool
        ) -> Operand {
            let inner = chosen(query, index: index)
            if OneDNN.equal(plain, inner) {
                return Operand(argument: argument, plain: plain, inner: inner, reorder: nil, floats: 0)
            }
            let reorder =
                output
                ? OneDNN.Reorder(from: inner, to: plain, what) : OneDNN.Reorder(from: plain, to: inner, what)
            return Operand(
                argument: argument, plain: plain, inner: inner, reorder: reorder,
                floats: Self.cacheLines(OneDNN.bytes(inner)))
        }
        switch key.direction {
        case .forward:
            var list = [
                operand(DNNL_ARG_SRC, plainSrc, dnnl_query_src_md, output: false),
                operand(DNNL_ARG_WEIGHTS, plainWeights, dnnl_query_weights_md, output: false),
            ]
            if key.bias {
                list.append(operand(DNNL_ARG_BIAS, plainBias, dnnl_query_weights_md, index: 1, output: false))
            }
            var output = operand(DNNL_ARG_DST, plainDst, dnnl_query_dst_md, output: true)
            if key.sum && output.reorder != nil {
                output.fill = OneDNN.Reorder(from: plainDst, to: output.inner, what)
            }
            list.append(output)
            operands = list
        case .backwardData:
            operands = [
                operand(DNNL_ARG_DIFF_DST, plainDst, dnnl_query_diff_dst_md, output: false),
                operand(DNNL_ARG_WEIGHTS, plainWeights, dnnl_query_weights_md, output: false),
                operand(DNNL_ARG_DIFF_SRC, plainSrc, dnnl_query_diff_src_md, output: true),
            ]
        case .backwardWeights:
            operands = [
                operand(DNNL_ARG_SRC, plainSrc, dnnl_query_src_md, output: false),
                operand(DNNL_ARG_DIFF_DST, plainDst, dnnl_query_diff_dst_md, output: false),
                operand(DNNL_ARG_DIFF_WEIGHTS, plainWeights, dnnl_query_diff_weights_md, output: true),
            ]
        }
        scratchpad = chosen(dnnl_query_scratchpad_md)
        scratchpadFloats = Self.cacheLines(OneDNN.bytes(scratchpad))
        var info: UnsafePointer<CChar>?
        _ = withUnsafeMutablePointer(to: &info) { dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, $0) }
        implementation = info.map { String(cString: $0) } ?? "unknown"
        // A direct forward primitive's channels-last operands are used in place: its brgemm kernels take them as they
        // are, and a JIT kernel that would reorder them loses to the caller's plain path (a Winograd one's and a
        // backward one's are reordered, as plain ones). And a reference implementation (no JIT kernel for the layout
        // on this CPU) is not worth taking: the caller's plain path is faster.
        let channelsLast = key.sourceChannelsLast || key.destinationChannelsLast || key.sum
        let sources: Set<Int32> = [Int32(DNNL_ARG_SRC), Int32(DNNL_ARG_DIFF_SRC)]
        let destinations: Set<Int32> = [Int32(DNNL_ARG_DST), Int32(DNNL_ARG_DIFF_DST)]
        let reordered = operands.contains { operand in
            operand.reorder != nil
                && (key.sourceChannelsLast && sources.contains(operand.argument)
                    || (key.destinationChannelsLast || key.sum) && destinations.contains(operand.argument))
        }
        if channelsLast && (implementation.hasPrefix("ref") || (inPlace && reordered)) { return nil }
        var primitive: dnnl_primitive_t?
        OneDNN.check(dnnl_primitive_create(&primitive, pd), "primitive for \(what)")
        self.primitive = primitive!
        self.key = key
    }

    deinit { dnnl_primitive_destroy(primitive) }

    /// Floats holding `bytes`, rounded up to a whole number of 64-byte lines (so every slice stays aligned).
    static func cacheLines(_ bytes: Int) -> Int { (bytes + 63) / 64 * 16 }

    static func describe(_ g: ConvGeometry) -> String {
        "input [\(g.batch), \(g.inChannels), \(g.height), \(g.width)] weight [\(g.outChannels), \(g.groupInChannels), "
            + "\(g.kernelHeight), \(g.kernelWidth)] stride (\(g.strideH), \(g.strideW)) padding (\(g.padH), \(g.padW)) "
            + "dilation (\(g.dilationH), \(g.dilationW)) groups \(g.groups)"
    }

    /// Runs the primitive on plain tensors `pointers` (in ``operands``' order, the output last), reordering through
    /// `workspace` (at least ``workspaceFloats``). `prepared` maps an argument index to a copy already in the
    /// primitive's layout (the weights, reordered once for every part of a batch).
    func run(
        _ pointers: [UnsafeMutableRawPointer], workspace: UnsafeMutablePointer<Float>,
        prepared: [Int32: UnsafeMutableRawPointer] = [:]
    ) {
        let what = "conv2d \(key.direction.rawValue) \(Self.describe(key.geometry))"
        var free = workspace
        var arguments: [(Int32, dnnl_memory_desc_t, UnsafeMutableRawPointer)] = []
        var pending: (OneDNN.Reorder, UnsafeMutableRawPointer, UnsafeMutableRawPointer)?
        for (index, (operand, pointer)) in zip(operands, pointers).enumerated() {
            guard let reorder = operand.reorder else {
                arguments.append((operand.argument, operand.inner, pointer))
                continue
            }
            if let ready = prepared[operand.argument] {
                arguments.append((operand.argument, operand.inner, ready))
                continue
            }
            let copy = UnsafeMutableRawPointer(free)
            free += operand.floats
            if index == operands.count - 1 {
                operand.fill?.run(pointer, copy, what)
                pending = (reorder, copy, pointer)
            } else {
                reorder.run(pointer, copy, what)
            }
            arguments.append((operand.argument, operand.inner, copy))
        }
        if scratchpadFloats > 0 {
            arguments.append((DNNL_ARG_SCRATCHPAD, scratchpad, UnsafeMutableRawPointer(free)))
        }
        OneDNN.execute(primitive, arguments, what)
        if let (reorder, copy, target) = pending { reorder.run(copy, target, what) }
    }
}
