/// What a ``TrainingSession`` reports while it runs, for a progress bar or a log.
public enum TrainingEvent {
    /// A training batch finished.
    case batch(BatchProgress)
    /// The epoch's training pass is done and validation starts.
    case validating(epoch: Int)
    /// An epoch finished and its files are written; `isBest` when `best.safetensors` now holds it.
    case epochFinished(RunManifest.Epoch, isBest: Bool)
    /// Something the user should know that does not stop training (a skipped file, a dropped batch).
    case warning(String)
}

/// The running figures of the epoch being trained, after `batch` of `batches`.
public struct BatchProgress: Sendable {
    /// 1-based, out of `epochs`.
    public let epoch: Int
    public let epochs: Int
    /// Batches done (1-based) out of the epoch's `batches`.
    public let batch: Int
    public let batches: Int
    /// Images trained on so far in the epoch.
    public let images: Int
    /// The mean loss and the accuracy over the epoch's batches so far (train mode, augmented images).
    public let meanLoss: Double
    public let accuracy: Double
    /// Seconds since the epoch started, and the part of them spent waiting for the data loader: near zero when
    /// loading keeps up with the model.
    public let seconds: Double
    public let waitSeconds: Double

    public init(
        epoch: Int, epochs: Int, batch: Int, batches: Int, images: Int, meanLoss: Double, accuracy: Double,
        seconds: Double, waitSeconds: Double
    ) {
        self.epoch = epoch
        self.epochs = epochs
        self.batch = batch
        self.batches = batches
        self.images = images
        self.meanLoss = meanLoss
        self.accuracy = accuracy
        self.seconds = seconds
        self.waitSeconds = waitSeconds
    }

    /// Training images per second so far, loading included.
    public var imagesPerSecond: Double { seconds > 0 ? Double(images) / seconds : 0 }

    /// The seconds the rest of the epoch's training pass should take at the pace so far.
    public var remainingSeconds: Double {
        batch > 0 ? seconds / Double(batch) * Double(batches - batch) : 0
    }

    /// The fraction of the time spent waiting for data.
    public var waitFraction: Double { seconds > 0 ? waitSeconds / seconds : 0 }
}
