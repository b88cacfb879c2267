import Foundation
import Kernels

/// Evaluation-mode `conv2d -> batch_norm (running statistics) [-> relu]` as ONE convolution, for inference: the
/// batch norm is folded into the convolution's weights and bias, and the ReLU is applied in the convolution's
/// epilogue (the pass that adds the bias), so the two element-wise passes over the activation disappear. PyTorch
/// eager runs the three ops separately; `torch.fx.experimental.optimization.fuse` /
/// `torch.nn.utils.fusion.fuse_conv_bn_eval` fold the same way.
///
/// With `s = bnWeight / sqrt(runningVar + eps)` per output channel (computed in Double, rounded once):
/// `weight' = weight * s` (each output channel's filter), `bias' = (bias - runningMean) * s + bnBias`; the result
/// is `conv2d(input, weight', bias')`, clamped at 0 with `relu`. It equals the unfused chain up to float32
/// rounding: each weight is rounded once more (`w * s`) and the products are scaled before the sum instead of
/// after it, so results differ by a few float32 ulps of the activation's magnitude (the tests bound it).
///
/// - Shapes: input `[N, C, H, W]`, weight `[O, C / groups, kh, kw]`, bias `[O]`; runningMean, runningVar,
///   bnWeight, bnBias `[O]`; result `[N, O, Ho, Wo]`.
/// - Inference only: no argument may need a gradient (``needsGradient(_:)`` false); nothing is recorded.
public func conv2dBatchNormEval(
    _ input: Tensor, weight: Tensor, bias: Tensor?, stride: IntPair = 1, padding: IntPair = 0,
    dilation: IntPair = 1, groups: Int = 1, runningMean: Tensor, runningVar: Tensor, bnWeight: Tensor?,
    bnBias: Tensor?, eps: Float, relu: Bool, folding: ConvBatchNormFolding? = nil
) -> Tensor {
    let geometry = conv2dGeometry(
        input, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
    let channels = geometry.outChannels
    for (name, tensor) in [
        ("runningMean", runningMean), ("runningVar", runningVar), ("bnWeight", bnWeight), ("bnBias", bnBias),
    ] {
        if let tensor {
            require(
                tensor.shape == [channels],
                "conv2dBatchNormEval: \(name) shape \(tensor.shape) must be [\(channels)] (the convolution's "
                    + "output channels)")
        }
    }
    require(
        !needsGradient([input, weight, bias, bnWeight, bnBias]),
        "conv2dBatchNormEval is for inference: no argument may require grad while grad mode is on")
    let (folded, shift) = foldedBatchNorm(
        weight: weight, bias: bias, runningMean: runningMean, runningVar: runningVar, bnWeight: bnWeight,
        bnBias: bnBias, eps: eps, filter: geometry.columnRows, folding: folding)
    let output = Tensor.uninitialized([geometry.batch, channels, geometry.outHeight, geometry.outWidth])
    Convolution.forward(
        input: input.pointer, weight: folded.pointer, bias: shift.pointer, output: output.pointer,
        geometry: geometry, workspace: Workspaces.current, relu: relu,
        prepared: folding != nil ? folded.preparedWeights() : nil)
    FLOPCounter.add(multiplyAdds: geometry.forwardMACs)
    return output
}

/// ``foldBatchNorm(weight:bias:runningMean:runningVar:bnWeight:bnBias:eps:filter:)``, or the result `folding` kept
/// from these same tensors (which it then keeps).
func foldedBatchNorm(
    weight: Tensor, bias: Tensor?, runningMean: Tensor, runningVar: Tensor, bnWeight: Tensor?, bnBias: Tensor?,
    eps: Float, filter: Int, folding: ConvBatchNormFolding?
) -> (weight: Tensor, bias: Tensor) {
    let sources = [weight, bias, runningMean, runningVar, bnWeight, bnBias]
    if let folding, let kept = folding.folded(from: sources, eps: eps) { return kept }
    let (folded, shift) = foldBatchNorm(
        weight: weight, bias: bias, runningMean: runningMean, runningVar: runningVar, bnWeight: bnWeight,
        bnBias: bnBias, eps: eps, filter: filter)
    folding?.keep(folded, shift, from: sources, eps: eps)
    return (folded, shift)
}

/// The folded weights `weight * s` and bias `(bias - runningMean) * s + bnBias` of
/// ``conv2dBatchNormEval(_:weight:bias:stride:padding:dilation:groups:runningMean:runningVar:bnWeight:bnBias:eps:relu:folding:)``,
/// `s = bnWeight / sqrt(runningVar + eps)` per output channel in Double.
func foldBatchNorm(
    weight: Tensor, bias: Tensor?, runningMean: Tensor, runningVar: Tensor, bnWeight: Tensor?, bnBias: Tensor?,
    eps: Float, filter: Int
) -> (weight: Tensor, bias: Tensor) {
    let channels = runningMean.count
    let folded = Tensor.uninitialized(weight.shape)
    let shift = Tensor.uninitialized([channels])
    for o in 0..<channels {
        let scale =
            Double(bnWeight?.pointer[o] ?? 1) / (Double(runningVar.pointer[o]) + Double(eps)).squareRoot()
        let b = Double(bias?.pointer[o] ?? 0)
        shift.pointer[o] = Float((b - Double(runningMean.pointer[o])) * scale + Double(bnBias?.pointer[o] ?? 0))
        let (source, target) = (weight.pointer + o * filter, folded.pointer + o * filter)
        let s = Float(scale)
        for i in 0..<filter { target[i] = source[i] * s }
    }
    return (folded, shift)
}

/// What one eval-mode `conv -> bn` pair folded last time (its weights and bias, and their copies in oneDNN's
/// layouts), kept by the layer between inference calls: valid while every source tensor is the same object at
/// the same version (no optimizer step, `load_state_dict`, train-mode forward or parameter swap since), remade
/// otherwise. The sources are held weakly, so a kept result never keeps a replaced parameter alive.
public final class ConvBatchNormFolding: @unchecked Sendable {
    private struct Source {
        weak var storage: TensorStorage?
        let offset: Int
        let version: Int
    }

    private let lock = NSLock()
    private var sources: [Source?] = []
    private var eps: Float = 0
    private var result: (weight: Tensor, bias: Tensor)?

    public init() {}

    /// Whether a folded result is kept (for tests).
    public var holdsResult: Bool {
        lock.lock()
        defer { lock.unlock() }
        return result != nil
    }

    private static func describe(_ tensors: [Tensor?]) -> [Source?] {
        tensors.map { $0.map { Source(storage: $0.storage, offset: $0.offset, version: $0.storage.version) } }
    }

    /// Forgets the kept result (the layer ran unfused: its weights are about to change, or the memory is wanted).
    public func clear() {
        lock.lock()
        defer { lock.unlock() }
        (sources, result) = ([], nil)
    }

    /// The kept result when it was made from exactly these tensors, at their current versions, with `eps`.
    func folded(from tensors: [Tensor?], eps: Float) -> (Tensor, Tensor)? {
        lock.lock()
        defer { lock.unlock() }
        guard let result, eps == self.eps, tensors.count == sources.count else { return nil }
        for (tensor, source) in zip(tensors, sources) {
            switch (tensor, source) {
            case (nil, nil): continue
            case (let tensor?, let source?):
                guard source.storage === tensor.storage, source.offset == tensor.offset,
                    source.version == tensor.storage.version
                else { return nil }
            default: return nil
            }
        }
        return result
    }

    /// Keeps `weight` and `bias` as folded from `tensors` at their current versions.
    func keep(_ weight: Tensor, _ bias: Tensor, from tensors: [Tensor?], eps: Float) {
        lock.lock()
        defer { lock.unlock() }
        (sources, self.eps, result) = (Self.describe(tensors), eps, (weight, bias))
    }
}

/// True when an operation on these tensors would be recorded for autograd (grad mode on and one of them requires
/// grad), i.e. when a fused inference-only kernel must not replace it.
public func needsGradient(_ tensors: [Tensor?]) -> Bool { wouldRecord(tensors) }
