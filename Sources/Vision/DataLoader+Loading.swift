import Dispatch
import Foundation
import Images
import Tensors

/// Decoded images kept across epochs by a ``DataLoader`` created with `cacheDecoded`.
final class DecodedImageCache: @unchecked Sendable {
    private let lock = NSLock()
    private var images: [Int: Image] = [:]

    /// The cached image of sample `index`, or `load()`'s result, which is then cached.
    func image(_ index: Int, load: () throws -> Image) rethrows -> Image {
        lock.lock()
        let cached = images[index]
        lock.unlock()
        if let cached { return cached }
        let image = try load()
        lock.lock()
        images[index] = image
        lock.unlock()
        return image
    }
}

extension DataLoader {
    /// What loading one sample gave.
    enum SampleOutcome {
        case loaded(Tensor)
        case failed(any Error)
    }

    /// Batch `number` of the epoch that visits `order`: its samples are decoded and transformed by up to
    /// `workers` concurrent tasks (sample `k` by task `k % workers`), then stacked in order.
    func loadBatch(_ number: Int, order: [Int], epoch: Int) -> Result<Batch, any Error> {
        let start = number * batchSize
        let indices = Array(order[start..<Swift.min(start + batchSize, order.count)])
        let outcomes = UnsafeMutableBufferPointer<SampleOutcome>.allocate(capacity: indices.count)
        defer { outcomes.deallocate() }
        let tasks = Swift.min(workers, indices.count)
        DispatchQueue.concurrentPerform(iterations: tasks) { task in
            for position in stride(from: task, to: indices.count, by: tasks) {
                (outcomes.baseAddress! + position).initialize(to: loadSample(indices[position], epoch: epoch))
            }
        }
        defer { outcomes.baseAddress!.deinitialize(count: indices.count) }
        return collate(Array(outcomes), indices: indices)
    }

    /// Sample `index` decoded (or taken from the cache) and transformed with its own random stream.
    func loadSample(_ index: Int, epoch: Int) -> SampleOutcome {
        do {
            let image = try cache?.image(index) { try dataset.loadImage(at: index) } ?? dataset.loadImage(at: index)
            var random = TransformRandom.forSample(index: index, epoch: epoch, seed: seed)
            return .loaded(try transform.apply(image, random: &random))
        } catch {
            return .failed(error)
        }
    }

    /// Stacks the loaded samples into one `[N, C, H, W]` tensor; the first failure (in batch order) fails the
    /// batch unless it is a load error and `skipBadFiles` is set.
    func collate(_ outcomes: [SampleOutcome], indices: [Int]) -> Result<Batch, any Error> {
        var tensors: [(index: Int, tensor: Tensor)] = []
        var skipped: [VisionError] = []
        for (position, outcome) in outcomes.enumerated() {
            switch outcome {
            case let .loaded(tensor):
                if let first = tensors.first, first.tensor.shape != tensor.shape {
                    return .failure(
                        VisionError.shapeMismatch(
                            path: dataset.samples[indices[position]].path,
                            expected: first.tensor.shape, actual: tensor.shape))
                }
                tensors.append((indices[position], tensor))
            case let .failed(error):
                guard skipBadFiles, let loadError = error as? VisionError, loadError.path != nil else {
                    return .failure(error)
                }
                skipped.append(loadError)
            }
        }
        let shape = tensors.first?.tensor.shape ?? []
        let images = Tensor.zeros([tensors.count] + shape)
        let size = shape.reduce(1, *)
        images.withUnsafeMutableBufferPointer { output in
            for (n, sample) in tensors.enumerated() {
                sample.tensor.withUnsafeBufferPointer { input in
                    (output.baseAddress! + n * size).update(from: input.baseAddress!, count: size)
                }
            }
        }
        return .success(
            Batch(
                images: images, labels: tensors.map { dataset.samples[$0.index].classIndex },
                indices: tensors.map(\.index), skipped: skipped))
    }
}
