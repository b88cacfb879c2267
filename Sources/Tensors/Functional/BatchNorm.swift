import Foundation
import Kernels

/// Batch normalisation over the channel dimension of `[N, C, *]` (`torch.nn.functional.batch_norm`).
///
/// - In training mode the batch's mean and BIASED variance normalise the input, and `runningMean` / `runningVar`
///   (when given) are updated in place: `running = (1 - momentum) * running + momentum * statistic`, with the
///   UNBIASED variance `var * n / (n - 1)` (`n = N * H * W`). Pass `momentum = 1 / numBatchesTracked` for
///   PyTorch's cumulative average (`momentum=None`); ``BatchNorm2d`` does this bookkeeping.
/// - In evaluation mode the running statistics normalise the input and nothing is updated.
/// - Shapes: input `[N, C, ...]`; runningMean, runningVar, weight, bias `[C]`; result like input.
public func batchNorm(
    _ input: Tensor, runningMean: Tensor?, runningVar: Tensor?, weight: Tensor? = nil, bias: Tensor? = nil,
    training: Bool, momentum: Float = 0.1, eps: Float = 1e-5
) -> Tensor {
    require(input.rank >= 2, "batch_norm expects an input [N, C, ...], got shape \(input.shape)")
    return batchNorm(
        input, batch: input.shape[0], channels: input.shape[1], plane: input.shape.dropFirst(2).reduce(1, *),
        runningMean: runningMean, runningVar: runningVar, weight: weight, bias: bias, training: training,
        momentum: momentum, eps: eps)
}

/// ``batchNorm(_:runningMean:runningVar:weight:bias:training:momentum:eps:)`` of a channels-last `[N, H, W, C]`
/// tensor (the channels innermost; PyTorch's `batch_norm` on a `channels_last` input): the same statistics over
/// the same `N * H * W` values per channel, summed in Double in another order. Shapes: input `[N, H, W, C]`; the
/// per-channel tensors `[C]`; result like input.
public func batchNormChannelsLast(
    _ input: Tensor, runningMean: Tensor?, runningVar: Tensor?, weight: Tensor? = nil, bias: Tensor? = nil,
    training: Bool, momentum: Float = 0.1, eps: Float = 1e-5
) -> Tensor {
    require(input.rank == 4, "batchNormChannelsLast expects an input [N, H, W, C], got shape \(input.shape)")
    // [N, H, W, C] is [N * H * W, C] with planes of one value: the kernels' channel loops run across the channels.
    return batchNorm(
        input, batch: input.shape[0] * input.shape[1] * input.shape[2], channels: input.shape[3], plane: 1,
        runningMean: runningMean, runningVar: runningVar, weight: weight, bias: bias, training: training,
        momentum: momentum, eps: eps)
}

/// Batch norm of `input` seen as `[batch, channels, plane]`.
private func batchNorm(
    _ input: Tensor, batch: Int, channels: Int, plane: Int, runningMean: Tensor?, runningVar: Tensor?,
    weight: Tensor?, bias: Tensor?, training: Bool, momentum: Float, eps: Float
) -> Tensor {
    for (name, tensor) in [
        ("runningMean", runningMean), ("runningVar", runningVar), ("weight", weight),
        ("bias", bias),
    ] {
        if let tensor {
            require(
                tensor.shape == [channels],
                "batch_norm: \(name) has shape \(tensor.shape), expected [\(channels)] for input \(input.shape)")
        }
    }
    let mean = Tensor.uninitialized([channels])
    let invstd = Tensor.uninitialized([channels])
    if training {
        let n = batch * plane
        require(n > 1, "batch_norm: expected more than 1 value per channel when training, got input \(input.shape)")
        let variance = Tensor.uninitialized([channels])
        BatchNormKernel.statistics(
            input: input.pointer, batch: batch, channels: channels, plane: plane, eps: eps,
            mean: mean.pointer, variance: variance.pointer, invstd: invstd.pointer)
        if let runningMean, let runningVar {
            let m = Double(momentum)
            let unbias = Double(n) / Double(n - 1)
            // In place, as PyTorch's `running_mean.mul_(1 - m).add_(m * mean)`: a new version of each buffer.
            runningMean.storage.version += 1
            runningVar.storage.version += 1
            for c in 0..<channels {
                runningMean.pointer[c] = Float(m * Double(mean.pointer[c]) + (1 - m) * Double(runningMean.pointer[c]))
                runningVar.pointer[c] = Float(
                    m * Double(variance.pointer[c]) * unbias + (1 - m) * Double(runningVar.pointer[c]))
            }
        }
    } else {
        guard let runningMean, let runningVar else {
            fatalError("batch_norm: running_mean and running_var must be given in evaluation mode")
        }
        mean.assign(runningMean)
        for c in 0..<channels {
            invstd.pointer[c] = Float(1 / (Double(runningVar.pointer[c]) + Double(eps)).squareRoot())
        }
    }
    let output = Tensor.uninitialized(input.shape)
    BatchNormKernel.normalize(
        input: input.pointer, output: output.pointer, batch: batch, channels: channels,
        plane: plane, mean: mean.pointer, invstd: invstd.pointer,
        weight: weight?.pointer, bias: bias?.pointer)
    let savedInput = input.detach()
    let savedWeight = weight?.detach()
    record(
        "NativeBatchNormBackward", output: output, inputs: [input, weight, bias],
        saved: [savedInput, savedWeight]
    ) { gradOutput, needs in
        let gradInput = needs[0] ? Tensor.uninitialized(savedInput.shape) : nil
        let gradWeight = needs[1] ? Tensor.uninitialized([channels]) : nil
        let gradBias = needs[2] ? Tensor.uninitialized([channels]) : nil
        BatchNormKernel.backward(
            gradOutput: gradOutput.pointer, input: savedInput.pointer, batch: batch, channels: channels, plane: plane,
            mean: mean.pointer, invstd: invstd.pointer, weight: savedWeight?.pointer, training: training,
            gradInput: gradInput?.pointer, gradWeight: gradWeight?.pointer, gradBias: gradBias?.pointer)
        return [gradInput, gradWeight, gradBias]
    }
    return output
}

/// The factor `torch.nn.BatchNorm2d.forward` passes to
/// ``batchNorm(_:runningMean:runningVar:weight:bias:training:momentum:eps:)``
/// as its momentum: when training with running statistics it first increments `numBatchesTracked`, then uses
/// `momentum`, or `1 / numBatchesTracked` (a cumulative average) when `momentum` is `nil`.
public func batchNormAverageFactor(momentum: Float?, training: Bool, numBatchesTracked: inout Int64) -> Float {
    guard training else { return momentum ?? 0 }
    numBatchesTracked += 1
    return momentum ?? 1 / Float(numBatchesTracked)
}
