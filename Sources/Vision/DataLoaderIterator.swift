import Dispatch

/// The batches of one epoch of a ``DataLoader``, each a `Result` (see ``DataLoader``). While the caller uses a
/// batch, the next one is already being loaded in the background.
public struct DataLoaderIterator: IteratorProtocol {
    /// The epoch this iterator loads.
    public let epoch: Int
    /// The dataset indices in this epoch's order.
    public let order: [Int]
    private let loader: DataLoader
    private var nextBatch = 0
    private var pending: PendingBatch?
    private var failed = false

    init(loader: DataLoader, epoch: Int, order: [Int]) {
        self.loader = loader
        self.epoch = epoch
        self.order = order
    }

    /// The next batch, or the error that stopped it (then the epoch ends); `nil` after the last batch.
    public mutating func next() -> Result<Batch, any Error>? {
        while !failed && nextBatch < loader.count {
            let current = pending ?? start(nextBatch)
            let outcome = current.wait()
            nextBatch += 1
            pending = nil
            switch outcome {
            case let .success(batch):
                if nextBatch < loader.count { pending = start(nextBatch) }
                loader.recordSkipped(batch.skipped)
                loader.progress?(
                    DataLoaderProgress(
                        epoch: epoch, batchesDone: nextBatch,
                        totalBatches: loader.count))
                if batch.labels.isEmpty { continue }
                return outcome
            case .failure:
                failed = true
                return outcome
            }
        }
        return nil
    }

    private func start(_ number: Int) -> PendingBatch {
        let (loader, order, epoch) = (loader, order, epoch)
        return PendingBatch { loader.loadBatch(number, order: order, epoch: epoch) }
    }
}

/// A batch being loaded on a background queue.
final class PendingBatch: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var outcome: Result<Batch, any Error>?

    init(_ work: @escaping () -> Result<Batch, any Error>) {
        DispatchQueue.global(qos: .userInitiated).async {
            self.outcome = work()
            self.done.signal()
        }
    }

    /// Blocks until the batch is loaded; call once.
    func wait() -> Result<Batch, any Error> {
        done.wait()
        return outcome!
    }
}
