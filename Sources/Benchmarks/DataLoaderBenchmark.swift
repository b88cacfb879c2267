import Vision

/// Throughput of the input pipeline alone: an ``ImageFolder`` decoded and transformed to `crop x crop` tensors
/// by a ``DataLoader``, to compare with torchvision's ImageFolder + DataLoader on the same folder
/// (Fixtures/bench_dataloader_torch.py).
public enum DataLoaderBenchmark {
    /// The result of one benchmark run.
    public struct Measurement: Sendable, CustomStringConvertible {
        /// Images per second over the median timed epoch.
        public let imagesPerSecond: Double
        /// Milliseconds of the median timed epoch.
        public let medianEpochMilliseconds: Double
        /// Images loaded per epoch.
        public let images: Int
        public let workers: Int
        public let batchSize: Int

        public var description: String {
            let rate = (imagesPerSecond * 10).rounded() / 10
            let epoch = (medianEpochMilliseconds * 10).rounded() / 10
            return "\(rate) images/s (\(images) images per epoch, median epoch \(epoch) ms, \(workers) workers, "
                + "batch \(batchSize))"
        }
    }

    /// Loads every image under `root` with `Compose([ToTensor(), Resize(resize), CenterCrop(crop),
    /// Normalize.imageNet])` (the evaluation transform), `epochs` times after one untimed warm-up epoch, and reports
    /// the median epoch.
    ///
    /// - Throws: ``VisionError`` from scanning the folder or from the first batch that fails.
    public static func imagesPerSecond(
        root: String, workers: Int, batchSize: Int = 8, epochs: Int = 5,
        resize: Int = 256, crop: Int = 224
    ) throws -> Measurement {
        let dataset = try ImageFolder(root: root)
        let transform = Compose([ToTensor(), Resize(resize), CenterCrop(crop), Normalize.imageNet])
        let loader = DataLoader(dataset, batchSize: batchSize, transform: transform, workers: workers)
        let median = try Timing.medianMilliseconds(warmup: 1, repeats: epochs) {
            for result in loader { _ = try result.get() }
        }
        return Measurement(
            imagesPerSecond: Double(dataset.count) / (median / 1000), medianEpochMilliseconds: median,
            images: dataset.count, workers: workers, batchSize: batchSize)
    }
}
