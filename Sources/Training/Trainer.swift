import Foundation
import NN
import Optim
import Tensors
import Vision

/// The post's training loop - forward, loss, backward, optimizer step, zero the gradients - and its evaluation,
/// over any ``Module``, any ``Optimizer`` and any loader that yields batches.
public enum Trainer {
    /// One epoch's mean training loss.
    public struct Epoch: Sendable {
        public let index: Int
        public let meanLoss: Double
        public let seconds: Double
    }

    /// Trains `model` for `epochs` passes over `train` (`for images, labels in loader: optimizer.zero_grad(); loss =
    /// criterion(model(images), labels); loss.backward(); optimizer.step()`), calling `prepareEpoch` before each
    /// epoch (`model.train()` by default; a ``TransferSetting`` keeps a frozen backbone in eval mode) and `log`
    /// after it.
    /// - Parameters:
    ///   - loss: the criterion on `[N, C]` logits and `N` class indices (`nn.CrossEntropyLoss()` by default).
    ///   - train: any sequence of batches, e.g. a ``DataLoader``; a failed batch ends training with its error.
    public static func fit<Model: Module, Loader: Sequence>(
        _ model: Model, optimizer: some Optimizer, train: Loader, epochs: Int,
        prepareEpoch: (Model) -> Void = { $0.train() },
        loss: (Tensor, [Int]) -> Tensor = { crossEntropy($0, target: $1) },
        log: (Epoch) -> Void = { _ in }
    ) throws -> [Epoch] where Loader.Element == Result<Batch, any Error> {
        try runEpochs(epochs, optimizer: optimizer, log: log) { step in
            prepareEpoch(model)
            for result in train {
                let batch = try result.get()
                step(loss(model(batch.images), batch.labels), batch.labels.count)
            }
        }
    }

    /// The epoch loop every `fit` shares: per epoch, `epoch` runs its batches, handing each batch's mean loss and
    /// sample count to `step`, which runs `loss.backward()`, `optimizer.step()` and `optimizer.zeroGrad()` and adds
    /// the loss to the epoch's mean; the epoch's time includes all of `epoch`.
    static func runEpochs(
        _ epochs: Int, optimizer: some Optimizer, log: (Epoch) -> Void,
        epoch: (_ step: (_ loss: Tensor, _ samples: Int) -> Void) throws -> Void
    ) throws -> [Epoch] {
        var history: [Epoch] = []
        for index in 0..<epochs {
            let start = DispatchTime.now().uptimeNanoseconds
            var total = 0.0
            var count = 0
            try epoch { value, samples in
                value.backward()
                optimizer.step()
                optimizer.zeroGrad()
                total += Double(value.item()) * Double(samples)
                count += samples
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let report = Epoch(index: index + 1, meanLoss: count == 0 ? 0 : total / Double(count), seconds: seconds)
            history.append(report)
            log(report)
        }
        return history
    }

    /// Predicts every sample of `loader` with the model in eval mode and no autograd (`model.eval()` +
    /// `torch.no_grad()`), and scores the predictions.
    public static func evaluate<Loader: Sequence>(
        _ model: Module, on loader: Loader, classCount: Int
    ) throws
        -> ClassificationMetrics where Loader.Element == Result<Batch, any Error>
    {
        model.eval()
        var predictions: [Int] = []
        var targets: [Int] = []
        for result in loader {
            let batch = try result.get()
            let logits = noGrad { model(batch.images) }
            predictions += argmaxRows(logits)
            targets += batch.labels
        }
        return ClassificationMetrics(predictions: predictions, targets: targets, classCount: classCount)
    }

    /// The index of the largest value in each row of `[N, C]` logits (`logits.argmax(dim=1)`; first on ties).
    public static func argmaxRows(_ logits: Tensor) -> [Int] {
        let (rows, columns) = (logits.shape[0], logits.shape[1])
        return logits.withUnsafeBufferPointer { values in
            (0..<rows).map { row in
                var best = 0
                for c in 1..<max(columns, 1) where values[row * columns + c] > values[row * columns + best] { best = c }
                return best
            }
        }
    }
}
