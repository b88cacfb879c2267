/// Which epoch is the best so far and how long validation has gone without improving: the best epoch has the
/// highest validation accuracy, the lower validation loss breaking ties; a run with a `patience` stops once that
/// many epochs in a row have not improved on it (the rule of Keras' `EarlyStopping` and PyTorch Lightning's, on
/// accuracy first).
public struct EarlyStopping: Codable, Equatable, Sendable {
    /// Epochs without improvement before stopping; nil: never stop early.
    public var patience: Int?
    /// The best epoch (1-based), nil before the first.
    public private(set) var bestEpoch: Int?
    public private(set) var bestAccuracy: Double
    public private(set) var bestLoss: Double
    /// Epochs since the best one.
    public private(set) var epochsWithoutImprovement: Int

    public init(patience: Int?) {
        self.patience = patience
        bestEpoch = nil
        bestAccuracy = -1
        bestLoss = .infinity
        epochsWithoutImprovement = 0
    }

    /// Records epoch `epoch`'s validation accuracy and loss; returns whether it is the new best.
    public mutating func record(epoch: Int, accuracy: Double, loss: Double) -> Bool {
        if accuracy > bestAccuracy || (accuracy == bestAccuracy && loss < bestLoss) {
            (bestEpoch, bestAccuracy, bestLoss, epochsWithoutImprovement) = (epoch, accuracy, loss, 0)
            return true
        }
        epochsWithoutImprovement += 1
        return false
    }

    /// Whether `patience` epochs in a row went without improvement.
    public var shouldStop: Bool {
        guard let patience else { return false }
        return epochsWithoutImprovement >= patience
    }
}
