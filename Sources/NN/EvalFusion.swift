import Tensors

/// Inference-time fusion of `Conv2d -> BatchNorm2d [-> ReLU]` (what PyTorch eager cannot do on its own and
/// `torch.nn.utils.fusion.fuse_conv_bn_eval` does by hand): the batch norm's running statistics are folded into the
/// convolution and the ReLU runs in its epilogue (``conv2dBatchNormEval(_:weight:bias:stride:padding:dilation:groups:runningMean:runningVar:bnWeight:bnBias:eps:relu:)``).
///
/// The ResNet stem and blocks use it on their own whenever it cannot change what anyone observes:
/// - the batch norm is in evaluation mode and has running statistics (`model.eval()`);
/// - nothing needs a gradient (inside ``noGrad(_:)``, or no parameter and no input requires grad);
/// - no ``ModuleProfiler`` or ``ForwardRecorder`` is active (they see every module's own call and output);
/// - fusion is not switched off (``disabled(_:)``, e.g. to compare the two).
/// Otherwise the modules run one by one, as in PyTorch.
public enum EvalFusion {
    @TaskLocal static var enabled = true

    /// True unless inside ``disabled(_:)``.
    public static var isEnabled: Bool { enabled }

    /// Runs `body` with every module called one by one (no fusion).
    public static func disabled<R>(_ body: () throws -> R) rethrows -> R {
        try $enabled.withValue(false, operation: body)
    }

    /// `relu(bn(conv(x)))` (or `bn(conv(x))`) as one fused convolution when allowed (see above), else nil: the
    /// caller then calls the modules.
    static func convBatchNorm(_ conv: Conv2d, _ bn: BatchNorm2d, relu: Bool, _ x: Tensor) -> Tensor? {
        guard enabled, !bn.training, bn.trackRunningStats, let mean = bn.runningMean, let variance = bn.runningVar,
            ModuleProfiler.current == nil, ForwardRecorder.current == nil,
            !needsGradient([x, conv.weight, conv.bias, bn.weight, bn.bias])
        else { return nil }
        return conv2dBatchNormEval(
            x, weight: conv.weight, bias: conv.bias, stride: conv.stride, padding: conv.padding,
            dilation: conv.dilation, groups: conv.groups, runningMean: mean, runningVar: variance,
            bnWeight: bn.weight, bnBias: bn.bias, eps: bn.eps, relu: relu, folding: conv.evalFolding)
    }

    /// A shortcut `Sequential(Conv2d, BatchNorm2d)` (torchvision's `downsample`) fused when allowed, else nil.
    static func shortcut(_ downsample: Sequential, _ x: Tensor) -> Tensor? {
        guard downsample.count == 2, let conv = downsample[0] as? Conv2d, let bn = downsample[1] as? BatchNorm2d
        else { return nil }
        return convBatchNorm(conv, bn, relu: false, x)
    }
}
