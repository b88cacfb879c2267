import Tensors

/// Batch normalisation over channels (`torch.nn.BatchNorm2d`): parameters `weight`, `bias` `[C]` (when `affine`),
/// buffers `running_mean`, `running_var` `[C]` and `num_batches_tracked` (when `trackRunningStats`).
///
/// In training mode it normalises with the batch's statistics and updates the running ones (even when its
/// parameters are frozen: only ``Module/eval()`` stops the updates, pytorch/pytorch#86590); in evaluation mode it
/// uses the running statistics. `momentum: nil` gives a cumulative average.
/// Shape: `[N, C, H, W]` -> same.
public final class BatchNorm2d: Module {
    public let numFeatures: Int
    public let eps: Float
    public let momentum: Float?
    public let affine: Bool
    public let trackRunningStats: Bool

    public init(
        numFeatures: Int, eps: Float = 1e-5, momentum: Float? = 0.1, affine: Bool = true,
        trackRunningStats: Bool = true
    ) {
        self.numFeatures = numFeatures
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.trackRunningStats = trackRunningStats
        super.init()
        registerParameter("weight", affine ? Tensor.ones([numFeatures], requiresGrad: true) : nil)
        registerParameter("bias", affine ? Tensor.zeros([numFeatures], requiresGrad: true) : nil)
        if trackRunningStats {
            registerBuffer("running_mean", Tensor.zeros([numFeatures]))
            registerBuffer("running_var", Tensor.ones([numFeatures]))
            registerBuffer("num_batches_tracked", Tensor.zeros([]), dtype: .int64)
        }
    }

    public var weight: Tensor? { parameter("weight") }
    public var bias: Tensor? { parameter("bias") }
    public var runningMean: Tensor? { buffer("running_mean") }
    public var runningVar: Tensor? { buffer("running_var") }

    /// Batches seen in training mode (the `num_batches_tracked` buffer).
    public var numBatchesTracked: Int64 {
        get { Int64(buffer("num_batches_tracked")?.item() ?? 0) }
        set { buffer("num_batches_tracked")?.withUnsafeMutableBufferPointer { $0[0] = Float(newValue) } }
    }

    public override func forward(_ input: Tensor) -> Tensor {
        require(input.rank == 4, "BatchNorm2d expects a 4-D input [N, C, H, W], got shape \(input.shape)")
        require(
            input.shape[1] == numFeatures,
            "BatchNorm2d(\(numFeatures)) got an input with \(input.shape[1]) channels, shape \(input.shape)")
        return normalized(input, batchNorm)
    }

    /// ``forward(_:)`` of a channels-last `[N, H, W, C]` input (``batchNormChannelsLast(_:runningMean:runningVar:weight:bias:training:momentum:eps:)``),
    /// with the same bookkeeping (the running statistics and `num_batches_tracked` in training mode). Not a module
    /// call: no ``ModuleProfiler`` or ``ForwardRecorder`` sees it. Shape: `[N, H, W, C]` -> same.
    public func forwardChannelsLast(_ input: Tensor) -> Tensor {
        require(input.rank == 4, "BatchNorm2d expects a 4-D channels-last input [N, H, W, C], got \(input.shape)")
        require(
            input.shape[3] == numFeatures,
            "BatchNorm2d(\(numFeatures)) got a channels-last input with \(input.shape[3]) channels, shape "
                + "\(input.shape)")
        return normalized(input, batchNormChannelsLast)
    }

    private func normalized(
        _ input: Tensor,
        _ function: (Tensor, Tensor?, Tensor?, Tensor?, Tensor?, Bool, Float, Float) -> Tensor
    ) -> Tensor {
        let tracking = trackRunningStats && runningMean != nil
        var factor = momentum ?? 0
        if tracking {
            var count = numBatchesTracked
            factor = batchNormAverageFactor(momentum: momentum, training: training, numBatchesTracked: &count)
            numBatchesTracked = count
        }
        let useBatchStatistics = training || !tracking
        return function(
            input, useBatchStatistics && !training ? nil : runningMean,
            useBatchStatistics && !training ? nil : runningVar, weight, bias, useBatchStatistics, factor, eps)
    }

    public override var extraDescription: String {
        "\(numFeatures), eps=\(eps), momentum=\(momentum.map { "\($0)" } ?? "None"), "
            + "affine=\(affine ? "True" : "False"), "
            + "track_running_stats=\(trackRunningStats ? "True" : "False")"
    }
}
