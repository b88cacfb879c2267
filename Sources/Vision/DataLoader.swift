import Foundation
import Tensors

/// Loads an ``ImageFolder`` in batches, like `torch.utils.data.DataLoader`: optionally shuffled with a seed,
/// decoded and transformed in parallel, one batch prefetched while the caller works on the current one.
///
///     let loader = DataLoader(dataset, batchSize: 32, shuffle: true, seed: 0, transform: Compose([...]))
///     for result in loader {
///         let batch = try result.get()      // batch.images: [N, C, H, W], batch.labels: [Int]
///     }
///
/// Each element is a `Result`, so a file that cannot be loaded surfaces as a thrown error at `get()`, naming the
/// file; the epoch ends after a failed batch. With `skipBadFiles`, unreadable or unsupported files are left out
/// of their batch instead, with a warning on standard error, and counted in ``skippedFiles``.
///
/// Order: each `for` loop over the loader is the next epoch (``epoch`` counts up from 0); with `shuffle` the
/// epoch's order is ``shuffledOrder(count:seed:epoch:)``, a Fisher-Yates shuffle driven by the ``PortableRandom``
/// stream `"shuffle"` under `seed + epoch`, the same on every run and machine. Random transforms draw from the
/// stream of each sample (``TransformRandom/forSample(index:epoch:seed:)``), so results do not depend on threads.
///
/// Memory stays bounded: at most two batches exist at once, and decoded images are kept across epochs only with
/// `cacheDecoded` (then every image stays in memory, as 16-bit samples). Iterate from one thread at a time.
public final class DataLoader: Sequence {
    public let dataset: ImageFolder
    public let batchSize: Int
    public let shuffle: Bool
    public let seed: UInt64
    /// Whether a last batch smaller than `batchSize` is dropped.
    public let dropLast: Bool
    /// What turns each decoded image into a tensor (``ToTensor`` by default).
    public let transform: any ImageTransform
    /// How many samples of a batch are decoded and transformed at once.
    public let workers: Int
    public let cacheDecoded: Bool
    public let skipBadFiles: Bool
    /// The epoch the next `for` loop loads; it advances by one each time iteration starts.
    public var epoch: Int = 0
    /// Called on the iterating thread after every batch.
    public var progress: ((DataLoaderProgress) -> Void)?
    /// Called on the iterating thread for each newly skipped file (with `skipBadFiles`) instead of the warning on
    /// standard error, e.g. to print it above a progress bar.
    public var onSkippedFile: ((VisionError) -> Void)?
    /// Every file skipped so far (with `skipBadFiles`), each listed once, in the order first skipped.
    public private(set) var skippedFiles: [String] = []

    let cache: DecodedImageCache?

    /// - Parameters:
    ///   - dataset: The samples to load.
    ///   - batchSize: Images per batch (the last one may be smaller unless `dropLast`).
    ///   - shuffle: Visit the samples in a seeded random order that changes every epoch.
    ///   - seed: The seed of the shuffle and of the random transforms.
    ///   - dropLast: Drop the last batch when it is smaller than `batchSize`.
    ///   - transform: Applied to every decoded image; every result must have the same shape.
    ///   - workers: Parallel decode-and-transform tasks per batch (default: the number of cores).
    ///   - cacheDecoded: Keep decoded images in memory after their first load.
    ///   - skipBadFiles: Leave out files that cannot be loaded instead of failing the batch.
    ///   - progress: Called after every batch with the batches done and the total.
    public init(
        _ dataset: ImageFolder, batchSize: Int = 1, shuffle: Bool = false, seed: UInt64 = 0,
        dropLast: Bool = false, transform: any ImageTransform = ToTensor(),
        workers: Int = ProcessInfo.processInfo.activeProcessorCount, cacheDecoded: Bool = false,
        skipBadFiles: Bool = false, progress: ((DataLoaderProgress) -> Void)? = nil
    ) {
        require(batchSize > 0, "DataLoader batchSize must be positive, got \(batchSize)")
        require(workers > 0, "DataLoader workers must be positive, got \(workers)")
        self.dataset = dataset
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.seed = seed
        self.dropLast = dropLast
        self.transform = transform
        self.workers = workers
        self.cacheDecoded = cacheDecoded
        self.skipBadFiles = skipBadFiles
        self.progress = progress
        cache = cacheDecoded ? DecodedImageCache() : nil
    }

    /// The number of batches in an epoch (`len(loader)`).
    public var count: Int {
        dropLast ? dataset.count / batchSize : (dataset.count + batchSize - 1) / batchSize
    }

    /// The dataset indices in the order `epoch` visits them: `0 ..< dataset.count`, or with `shuffle`
    /// ``shuffledOrder(count:seed:epoch:)``.
    public func order(epoch: Int) -> [Int] {
        shuffle ? DataLoader.shuffledOrder(count: dataset.count, seed: seed, epoch: epoch) : Array(0..<dataset.count)
    }

    /// A seeded permutation of `0 ..< count` (Fisher-Yates): for `i` from `count - 1` down to 1, swap positions
    /// `i` and `j = floor(u_k * (i + 1))`, where `u_k` (k = 0, 1, ...) is the ``PortableRandom`` stream
    /// `"shuffle"` under `seed + epoch` (wrapping). Fixtures/tlref/transforms.py computes the same orders.
    public static func shuffledOrder(count: Int, seed: UInt64, epoch: Int) -> [Int] {
        var order = Array(0..<count)
        let stream = PortableRandom(name: "shuffle", seed: seed &+ UInt64(truncatingIfNeeded: epoch))
        for (k, i) in (0..<count).dropFirst().reversed().enumerated() {
            order.swapAt(i, Int(Double(stream.uniform(k)) * Double(i + 1)))
        }
        return order
    }

    /// Starts the next epoch.
    public func makeIterator() -> DataLoaderIterator {
        defer { epoch += 1 }
        return DataLoaderIterator(loader: self, epoch: epoch, order: order(epoch: epoch))
    }

    /// Records the files skipped in a batch and warns about each new one on standard error.
    func recordSkipped(_ errors: [VisionError]) {
        for error in errors {
            guard let path = error.path, !skippedFiles.contains(path) else { continue }
            skippedFiles.append(path)
            if let onSkippedFile {
                onSkippedFile(error)
            } else {
                FileHandle.standardError.write(Data("warning: DataLoader skipped a file: \(error)\n".utf8))
            }
        }
    }
}
