import Tensors

/// One batch from a ``DataLoader``: images stacked along a new first dimension, and their class indices.
public struct Batch {
    /// The transformed images. Shape: `[N, C, H, W]`.
    public let images: Tensor
    /// The class index of each image (`labels[n]` belongs to `images[n]`).
    public let labels: [Int]
    /// The dataset index of each image, in batch order.
    public let indices: [Int]
    /// Why files of this batch were left out (only with `skipBadFiles`); each error names its file, and the batch
    /// is smaller by that many images.
    public let skipped: [VisionError]
}

/// How far an epoch has got, reported to a ``DataLoader``'s progress callback after every batch.
public struct DataLoaderProgress: Equatable, Sendable, CustomStringConvertible {
    /// The epoch being loaded.
    public let epoch: Int
    /// Batches delivered so far in this epoch.
    public let batchesDone: Int
    /// Batches in the epoch (``DataLoader/count``).
    public let totalBatches: Int

    public var description: String { "epoch \(epoch): batch \(batchesDone)/\(totalBatches)" }
}
