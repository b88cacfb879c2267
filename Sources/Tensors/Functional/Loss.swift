/// How a per-sample loss is reduced (`reduction=` in torch.nn.functional).
public enum Reduction: String, Sendable, CaseIterable {
    /// One loss per sample, shape `[N]`.
    case none
    /// The weighted mean over non-ignored samples (a 0-d tensor).
    case mean
    /// The sum over samples (a 0-d tensor).
    case sum
}

/// Negative log-likelihood of class `target[i]` under row `i` of `logProbabilities`
/// (`torch.nn.functional.nll_loss`).
///
/// - Shapes: logProbabilities `[N, C]`, target `N` class indices in `0..<C` (or `ignoreIndex`), weight `[C]`;
///   result `[N]` for ``Reduction/none``, otherwise 0-d.
/// - With class weights the mean divides by the summed weights of the non-ignored targets, as PyTorch does.
public func nllLoss(
    _ logProbabilities: Tensor, target: [Int], weight: Tensor? = nil, ignoreIndex: Int = -100,
    reduction: Reduction = .mean
) -> Tensor {
    smoothedNLL(
        logProbabilities, target: target, weight: weight, ignoreIndex: ignoreIndex, reduction: reduction,
        labelSmoothing: 0)
}

/// Cross-entropy between logits and class indices: `log_softmax` over dimension 1 followed by the negative
/// log-likelihood (`torch.nn.functional.cross_entropy`, aten/src/ATen/native/LossNLL.cpp).
///
/// - With `labelSmoothing = ε` the loss is `(1 - ε) * nll + ε / C * smooth`, where
///   `smooth_i = -Σ_c weight_c * logp[i, c]` (zero for ignored samples) reduced like the NLL term.
/// - Shapes: input `[N, C]` logits, target `N` class indices, weight `[C]`; result `[N]` or 0-d.
public func crossEntropy(
    _ input: Tensor, target: [Int], weight: Tensor? = nil, ignoreIndex: Int = -100, reduction: Reduction = .mean,
    labelSmoothing: Float = 0
) -> Tensor {
    require(input.rank == 2, "cross_entropy expects logits [N, C], got shape \(input.shape)")
    require((0...1).contains(labelSmoothing), "cross_entropy: label_smoothing must be in [0, 1], got \(labelSmoothing)")
    return smoothedNLL(
        logSoftmax(input, dim: 1), target: target, weight: weight, ignoreIndex: ignoreIndex,
        reduction: reduction, labelSmoothing: labelSmoothing)
}

/// The negative log-likelihood with optional label smoothing over log-probabilities `[N, C]`.
private func smoothedNLL(
    _ logp: Tensor, target: [Int], weight: Tensor?, ignoreIndex: Int, reduction: Reduction, labelSmoothing: Float
) -> Tensor {
    require(logp.rank == 2, "nll_loss expects log-probabilities [N, C], got shape \(logp.shape)")
    let (n, classes) = (logp.shape[0], logp.shape[1])
    require(target.count == n, "nll_loss: \(target.count) targets for a batch of \(n)")
    if let weight {
        require(weight.shape == [classes], "nll_loss: weight shape \(weight.shape) must be [\(classes)]")
    }
    for (i, t) in target.enumerated() where t != ignoreIndex {
        require((0..<classes).contains(t), "nll_loss: target[\(i)] = \(t) is out of bounds for \(classes) classes")
    }
    let classWeights = (0..<classes).map { c in weight.map { Double($0.pointer[c]) } ?? 1 }
    let sampleWeights = target.map { $0 == ignoreIndex ? 0 : classWeights[$0] }
    let epsilon = Double(labelSmoothing)
    var perSample = [Double](repeating: 0, count: n)
    for i in 0..<n where target[i] != ignoreIndex {
        let row = logp.pointer + i * classes
        var loss = -sampleWeights[i] * Double(row[target[i]]) * (1 - epsilon)
        if epsilon > 0 {
            var smooth = 0.0
            for c in 0..<classes { smooth -= classWeights[c] * Double(row[c]) }
            loss += epsilon / Double(classes) * smooth
        }
        perSample[i] = loss
    }
    let denominator = reduction == .mean ? sampleWeights.reduce(0, +) : 1
    let output: Tensor
    switch reduction {
    case .none: output = Tensor(shape: [n], values: perSample.map { Float($0) })
    case .sum: output = Tensor(Float(perSample.reduce(0, +)))
    case .mean: output = Tensor(Float(perSample.reduce(0, +) / denominator))
    }
    record("NllLossBackward", output: output, inputs: [logp]) { gradOutput, _ in
        let gradInput = Tensor.zeros([n, classes])
        for i in 0..<n where target[i] != ignoreIndex {
            let scale = reduction == .none ? Double(gradOutput.pointer[i]) : Double(gradOutput.item()) / denominator
            let row = gradInput.pointer + i * classes
            if epsilon > 0 {
                let spread = -scale * epsilon / Double(classes)
                for c in 0..<classes { row[c] = Float(spread * classWeights[c]) }
            }
            row[target[i]] += Float(-scale * (1 - epsilon) * sampleWeights[i])
        }
        return [gradInput]
    }
    return output
}
