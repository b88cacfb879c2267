import Foundation
import NN
import Tensors
import Vision

/// The frozen backbone's features of every image of a ``DataLoader`` (the input of `fc`, ``ResNet/features(_:)``),
/// computed in the first epoch and reused in every later one, so that later epochs train only the head.
///
/// PyTorch's plain loop recomputes them every epoch; they are the same every epoch only when nothing below `fc`
/// changes and the images do not either: every parameter below `fc` frozen, every module below `fc` in eval mode
/// (batch norm in train mode normalises with each batch's statistics and updates its running statistics), and no
/// random augmentation. ``obstacle(model:augmented:)`` checks exactly that on the model as it trains; a cache
/// must only be used while it holds.
///
/// The first epoch runs the backbone on the loader's batches (under `no_grad`, as autograd would not enter it
/// anyway) and stores each image's row; once every image is stored (with `dropLast` that may take a second epoch
/// through the loader), later epochs form the same batches from the loader's order (shuffled per epoch,
/// `dropLast`, skipped files left out) and gather the rows. Memory: one
/// `[images, numFeatures]` float32 matrix (300 images x 512 floats = 0.6 MB for resnet18).
public final class FeatureCache {
    /// A batch of features and their class indices.
    public struct Batch {
        /// The backbone's features. Shape: `[N, numFeatures]`.
        public let features: Tensor
        public let labels: [Int]
        /// The dataset index of each row.
        public let indices: [Int]
        /// Seconds spent waiting for the data loader (0 once the features are cached).
        public let waitSeconds: Double
    }

    public let model: ResNet
    public let loader: DataLoader
    /// The width of a row (`model.numFeatures`).
    public let numFeatures: Int
    /// Whether every image's features are stored (after one whole epoch through the loader, or two with
    /// `dropLast`); files the loader skipped are left out.
    public private(set) var isComplete = false
    /// `rows[index]`: the features of dataset sample `index`, or nil when it was not loaded (a skipped file).
    private var rows: [Int?]
    private var labels: [Int]
    private var values: [Float]
    /// Samples the loader visited and left out (``DataLoader/skipBadFiles``).
    private var skipped: Set<Int> = []

    public init(model: ResNet, loader: DataLoader) {
        self.model = model
        self.loader = loader
        numFeatures = model.numFeatures
        rows = Array(repeating: nil, count: loader.dataset.count)
        labels = Array(repeating: -1, count: loader.dataset.count)
        values = []
    }

    /// The images whose features are stored.
    public var cachedImages: Int { values.count / max(numFeatures, 1) }

    /// The bytes the stored features take (float32).
    public var byteCount: Int { values.count * MemoryLayout<Float>.stride }

    /// The bytes the cache takes once every image of the loader is stored.
    public var expectedByteCount: Int { loader.dataset.count * numFeatures * MemoryLayout<Float>.stride }

    /// Why the backbone's features may change from one epoch to the next (so they must not be cached), or nil
    /// when they cannot: a parameter below `fc` that requires grad, a module below `fc` in train mode, or
    /// `augmented` training images. Check it on the model as it trains (after its train/eval modes are set).
    public static func obstacle(model: ResNet, augmented: Bool) -> String? {
        func isHead(_ name: String) -> Bool { name == "fc" || name.hasPrefix("fc.") }
        if let trained = model.namedParameters().first(where: { !isHead($0.0) && $0.1.requiresGrad }) {
            return "\(trained.0) trains"
        }
        let inTrainMode = model.namedModules().filter { !isHead($0.0) && $0.1.training }
        if let batchNorm = inTrainMode.first(where: { $0.1 is BatchNorm2d }) {
            return "\(batchNorm.0) is in train mode (batch norm normalises with each batch's statistics and updates "
                + "its running statistics)"
        }
        if let training = inTrainMode.first {
            return "\(training.0.isEmpty ? "the model" : training.0) is in train mode"
        }
        if augmented { return "the training images are randomly augmented (RandomResizedCrop + flip)" }
        return nil
    }

    /// The batches of the loader's next epoch (its ``DataLoader/epoch``, which advances by one) as features: from
    /// the loader and the backbone until the cache is complete, then from the cache. Each element is a `Result`
    /// as the loader's are; a failed batch ends the epoch and leaves the cache incomplete.
    public func makeIterator() -> AnyIterator<Result<Batch, any Error>> {
        isComplete ? cachedBatches() : computedBatches()
    }

    /// One epoch through the loader, storing every batch's features; the cache is complete when it ends normally.
    private func computedBatches() -> AnyIterator<Result<Batch, any Error>> {
        var iterator = loader.makeIterator()
        var failed = false
        return AnyIterator { [self] in
            guard !failed else { return nil }
            let waitStart = DispatchTime.now().uptimeNanoseconds
            guard let result = iterator.next() else {
                finishEpoch(
                    visited: loader.dropLast
                        ? iterator.order.prefix(loader.count * loader.batchSize) : iterator.order[...])
                return nil
            }
            let waitSeconds = Double(DispatchTime.now().uptimeNanoseconds - waitStart) / 1e9
            switch result {
            case .failure(let error):
                failed = true
                return .failure(error)
            case .success(let batch):
                let features = noGrad { model.features(batch.images) }
                store(features, labels: batch.labels, indices: batch.indices)
                return .success(
                    Batch(features: features, labels: batch.labels, indices: batch.indices, waitSeconds: waitSeconds))
            }
        }
    }

    /// One epoch's batches gathered from the cache, in the order and grouping the loader would give them.
    private func cachedBatches() -> AnyIterator<Result<Batch, any Error>> {
        let order = loader.order(epoch: loader.epoch)
        loader.epoch += 1
        let (batchSize, batches) = (loader.batchSize, loader.count)
        var number = 0
        return AnyIterator { [self] in
            while number < batches {
                let start = number * batchSize
                number += 1
                let indices = order[start..<min(start + batchSize, order.count)].filter { rows[$0] != nil }
                if indices.isEmpty { continue }
                return .success(gather(indices))
            }
            return nil
        }
    }

    /// After an epoch through the loader: the samples it visited but did not load are skipped files (they fail
    /// every epoch); the cache is complete once every sample is stored or skipped. With `dropLast` an epoch leaves
    /// out a few samples, so completing the cache may take another epoch through the loader.
    private func finishEpoch(visited: ArraySlice<Int>) {
        for index in visited where rows[index] == nil { skipped.insert(index) }
        isComplete = rows.indices.allSatisfy { rows[$0] != nil || skipped.contains($0) }
    }

    /// Stores the rows of `features` (`[N, numFeatures]`) for the samples `indices`.
    private func store(_ features: Tensor, labels batchLabels: [Int], indices: [Int]) {
        require(
            features.shape == [indices.count, numFeatures],
            "FeatureCache: features of shape \(features.shape) for \(indices.count) images of \(numFeatures)")
        if values.isEmpty { values.reserveCapacity(loader.dataset.count * numFeatures) }
        features.withUnsafeBufferPointer { source in
            for (position, index) in indices.enumerated() where rows[index] == nil {
                rows[index] = values.count / numFeatures
                labels[index] = batchLabels[position]
                values.append(contentsOf: source[(position * numFeatures)..<((position + 1) * numFeatures)])
            }
        }
    }

    /// The stored rows of `indices` as one batch.
    private func gather(_ indices: [Int]) -> Batch {
        let features = Tensor.zeros([indices.count, numFeatures])
        features.withUnsafeMutableBufferPointer { destination in
            values.withUnsafeBufferPointer { source in
                for (position, index) in indices.enumerated() {
                    let row = rows[index]! * numFeatures
                    for j in 0..<numFeatures { destination[position * numFeatures + j] = source[row + j] }
                }
            }
        }
        return Batch(features: features, labels: indices.map { labels[$0] }, indices: indices, waitSeconds: 0)
    }
}

extension FeatureCache {
    /// `300 images x 512 floats = 0.6 MB`.
    static func describe(images: Int, numFeatures: Int) -> String {
        let megabytes = Double(images * numFeatures * MemoryLayout<Float>.stride) / 1_048_576
        return "\(images) images x \(numFeatures) floats = \(String(format: "%.1f", megabytes)) MB"
    }
}
