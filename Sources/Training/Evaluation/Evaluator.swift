import NN
import Tensors
import Vision

/// Runs a classifier over a data set as `model.eval()` + `torch.no_grad()` evaluation does, and keeps what it said
/// about every image (``SamplePrediction``).
public enum Evaluator {
    /// Every sample of one pass over `loader`, in the loader's order.
    ///
    /// Per batch: `logits = model(images)` without autograd, `predictions = logits.argmax(dim=1)`,
    /// `losses = cross_entropy(logits, labels, reduction="none")`, `probabilities = softmax(logits, dim=1)`.
    /// The model is put in eval mode first (batch norm uses its running statistics).
    ///
    /// - Throws: the first failed batch's error (a file that cannot be loaded, named), unless the loader skips bad
    ///   files, which then leaves them out (``DataLoader/skippedFiles``).
    public static func predict(_ model: Module, on loader: DataLoader) throws -> [SamplePrediction] {
        model.eval()
        var samples: [SamplePrediction] = []
        for result in loader {
            let batch = try result.get()
            guard !batch.labels.isEmpty else { continue }
            samples += noGrad { () -> [SamplePrediction] in
                let logits = model(batch.images)
                let losses = crossEntropy(logits, target: batch.labels, reduction: .none).toArray()
                let probabilities = softmax(logits, dim: 1).toArray()
                let classes = logits.shape[1]
                return zip(Trainer.argmaxRows(logits), batch.labels).enumerated().map { row, pair in
                    let (prediction, target) = pair
                    return SamplePrediction(
                        path: loader.dataset.samples[batch.indices[row]].path, target: target,
                        prediction: prediction, loss: Double(losses[row]),
                        probability: Double(probabilities[row * classes + prediction]),
                        targetProbability: Double(probabilities[row * classes + target]))
                }
            }
        }
        return samples
    }
}
