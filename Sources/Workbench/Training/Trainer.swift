import Foundation
import NN
import Optim
import Tensors
import Vision

/// The post's training loop - forward, cross-entropy, backward, SGD with momentum - and its evaluation.
public enum Trainer {
    /// Hyperparameters of one run (batch size and order belong to the ``DataLoader``).
    public struct Options: Sendable {
        public var epochs: Int
        public var lr: Double
        public var momentum: Double

        public init(epochs: Int, lr: Double, momentum: Double = 0.9) {
            self.epochs = epochs
            self.lr = lr
            self.momentum = momentum
        }
    }

    /// One epoch's mean training loss.
    public struct Epoch: Sendable {
        public let index: Int
        public let meanLoss: Double
        public let seconds: Double
    }

    /// Trains the parameters that require grad on `train` with SGD, `options.epochs` times, calling `log` after each
    /// epoch. Mode switching per epoch follows `setting`.
    public static func fit(
        _ model: ResNet, setting: TransferSetting, train: DataLoader, options: Options,
        log: (Epoch) -> Void = { _ in }
    ) throws -> [Epoch] {
        let optimizer = SGD(parameters: model.trainableParameters(), lr: options.lr, momentum: options.momentum)
        var history: [Epoch] = []
        for epoch in 0..<options.epochs {
            let start = DispatchTime.now().uptimeNanoseconds
            setting.enterTrainingMode(model)
            var total = 0.0
            var count = 0
            for result in train {
                let batch = try result.get()
                let loss = crossEntropy(model(batch.images), target: batch.labels)
                loss.backward()
                optimizer.step()
                optimizer.zeroGrad()
                total += Double(loss.item()) * Double(batch.labels.count)
                count += batch.labels.count
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let report = Epoch(index: epoch + 1, meanLoss: count == 0 ? 0 : total / Double(count), seconds: seconds)
            history.append(report)
            log(report)
        }
        return history
    }

    /// Predicts every sample of `loader` with the model in eval mode and no autograd (`model.eval()` +
    /// `torch.no_grad()`), and scores the predictions.
    public static func evaluate(_ model: Module, on loader: DataLoader, classCount: Int) throws -> ClassificationMetrics {
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
