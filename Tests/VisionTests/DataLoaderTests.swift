import Foundation
import Golden
import Tensors
import TestSupport
import Testing
import Vision

/// DataLoader order, batching, augmentation and errors, against torchvision's DataLoader where it has one.
@Suite("DataLoader")
struct DataLoaderTests {
    static let valid = VisionFixtures.validRoot
    static let resize8: any ImageTransform = Compose([ToTensor(), Resize(height: 8, width: 8)])

    /// Every batch of one epoch; fails the test on a batch error.
    static func batches(_ loader: DataLoader) throws -> [Batch] {
        try loader.map { try $0.get() }
    }

    /// The batches' images concatenated along N.
    static func stacked(_ batches: [Batch]) -> Tensor {
        let shape = batches[0].images.shape
        let values = batches.flatMap { $0.images.toArray() }
        return Tensor(shape: [values.count / shape.dropFirst().reduce(1, *)] + shape.dropFirst(), values: values)
    }

    @Test("shuffled orders are the generator's Fisher-Yates orders for seed + epoch")
    func shuffleMatchesGenerator() throws {
        let group = try VisionFixtures.group("dataloader/shuffle")
        let names = try group.datasetNames()
        #expect(names.count == 12)
        for name in names {
            let parts = name.split(separator: "_").map { Int($0.drop { !$0.isNumber })! }
            let order = DataLoader.shuffledOrder(count: parts[0], seed: UInt64(parts[1]), epoch: parts[2])
            #expect(order == (try VisionFixtures.integers(group, name)), "\(name)")
        }
    }

    @Test("unshuffled batches equal torchvision's ImageFolder + DataLoader(batch_size=4) with Resize((8, 8))")
    func plainBatchesMatchTorchvision() throws {
        let dataset = try ImageFolder(root: DataLoaderTests.valid)
        let loader = DataLoader(dataset, batchSize: 4, transform: DataLoaderTests.resize8)
        let batches = try DataLoaderTests.batches(loader)
        let group = try VisionFixtures.group("dataloader/plain")
        #expect(batches.map(\.labels.count) == [4, 4, 3])
        #expect(batches.flatMap(\.labels) == (try VisionFixtures.integers(group, "labels")))
        #expect(batches.flatMap(\.indices) == Array(0..<11))
        expectClose(
            DataLoaderTests.stacked(batches), try VisionFixtures.tensor(group, "images"), "dataloader/plain",
            tolerance: TransformTolerances.resampled)
    }

    @Test("random augmentation per sample equals torchvision's on the sample's stream, epoch after epoch")
    func augmentedBatchesMatchTorchvision() throws {
        let dataset = try ImageFolder(root: DataLoaderTests.valid)
        let seed = UInt64(try VisionFixtures.group("dataloader").int("loader_seed"))
        let loader = DataLoader(
            dataset, batchSize: 11, seed: seed,
            transform: Compose([ToTensor(), RandomResizedCrop(8), RandomHorizontalFlip()]))
        for epoch in 0..<2 {
            let group = try VisionFixtures.group("dataloader/augmented_epoch\(epoch)")
            expectClose(
                DataLoaderTests.stacked(try DataLoaderTests.batches(loader)),
                try VisionFixtures.tensor(group, "images"), "augmented epoch \(epoch)",
                tolerance: TransformTolerances.resampled)
        }
    }

    @Test("the same seed gives the same batches; epochs and seeds change the order")
    func determinism() throws {
        let dataset = try ImageFolder(root: DataLoaderTests.valid)
        let make = { (seed: UInt64, workers: Int) in
            DataLoader(
                dataset, batchSize: 3, shuffle: true, seed: seed,
                transform: Compose([ToTensor(), RandomResizedCrop(6), RandomHorizontalFlip()]), workers: workers)
        }
        let (first, second, serial) = (make(5, 2), make(5, 2), make(5, 1))
        for _ in 0..<2 {
            let (a, b, c) = (
                try DataLoaderTests.batches(first), try DataLoaderTests.batches(second),
                try DataLoaderTests.batches(serial)
            )
            #expect(a.flatMap(\.indices) == b.flatMap(\.indices))
            #expect(DataLoaderTests.stacked(a).toArray() == DataLoaderTests.stacked(b).toArray())
            #expect(DataLoaderTests.stacked(a).toArray() == DataLoaderTests.stacked(c).toArray())
        }
        #expect(first.epoch == 2)
        #expect(first.order(epoch: 0) != first.order(epoch: 1))
        #expect(first.order(epoch: 0) != make(6, 2).order(epoch: 0))
        #expect(first.order(epoch: 1).sorted() == Array(0..<11))
    }

    @Test(
        "count and batch sizes follow batch_size and drop_last",
        arguments: [
            (4, false, [4, 4, 3]), (4, true, [4, 4]), (11, false, [11]), (11, true, [11]), (12, true, []),
            (12, false, [11]), (1, false, Array(repeating: 1, count: 11)),
        ])
    func batchCounts(_ batchSize: Int, _ dropLast: Bool, _ sizes: [Int]) throws {
        let dataset = try ImageFolder(root: DataLoaderTests.valid)
        let loader = DataLoader(
            dataset, batchSize: batchSize, shuffle: true, dropLast: dropLast,
            transform: DataLoaderTests.resize8)
        #expect(loader.count == sizes.count)
        let batches = try DataLoaderTests.batches(loader)
        #expect(batches.map(\.labels.count) == sizes)
        #expect(batches.allSatisfy { $0.images.shape == [$0.labels.count, 3, 8, 8] })
    }

    @Test("cached decoding gives the same batches and reports progress after every batch")
    func cacheAndProgress() throws {
        let dataset = try ImageFolder(root: DataLoaderTests.valid)
        var reports: [DataLoaderProgress] = []
        let cached = DataLoader(
            dataset, batchSize: 4, transform: DataLoaderTests.resize8, cacheDecoded: true,
            progress: { reports.append($0) })
        let plain = DataLoader(dataset, batchSize: 4, transform: DataLoaderTests.resize8)
        let reference = DataLoaderTests.stacked(try DataLoaderTests.batches(plain)).toArray()
        for _ in 0..<2 {
            #expect(DataLoaderTests.stacked(try DataLoaderTests.batches(cached)).toArray() == reference)
        }
        #expect(
            reports.map(\.description) == [
                "epoch 0: batch 1/3", "epoch 0: batch 2/3", "epoch 0: batch 3/3",
                "epoch 1: batch 1/3", "epoch 1: batch 2/3", "epoch 1: batch 3/3",
            ])
    }

    @Test("a file that cannot be loaded fails its batch, naming the file, and ends the epoch")
    func badFileFailsBatch() throws {
        let root = VisionFixtures.folders + "/errors/corrupt"
        let loader = DataLoader(try ImageFolder(root: root), batchSize: 2, transform: DataLoaderTests.resize8)
        let results = Array(loader)
        #expect(results.count == 1)
        #expect {
            try results[0].get()
        } throws: { error in
            guard case let .unreadableImage(path, _)? = error as? VisionError else { return false }
            return path == root + "/a/truncated.png"
        }
    }

    @Test("skipBadFiles leaves unreadable and unsupported files out, with a count")
    func skipBadFiles() throws {
        let root = VisionFixtures.folders + "/errors/corrupt"
        let loader = DataLoader(
            try ImageFolder(root: root), batchSize: 2, transform: DataLoaderTests.resize8,
            skipBadFiles: true)
        let batches = try DataLoaderTests.batches(loader)
        #expect(batches.map(\.labels) == [[0], [1, 1]])
        #expect(batches.map(\.skipped.count) == [1, 0])
        #expect(loader.skippedFiles == [root + "/a/truncated.png"])
    }

    @Test("samples of different sizes cannot be stacked: the error names the file and both shapes")
    func shapeMismatch() throws {
        let dataset = try ImageFolder(root: DataLoaderTests.valid)
        let loader = DataLoader(dataset, batchSize: 2)
        let error = VisionError.shapeMismatch(path: dataset.samples[1].path, expected: [3, 7, 7], actual: [3, 10, 12])
        #expect(throws: error) { try Array(loader)[0].get() }
        #expect(error.description.contains("B1.PNG"))
    }
}
