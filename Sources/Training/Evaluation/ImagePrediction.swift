import NN
import Tensors
import Vision

/// The top classes a classifier gives one image, with their softmax probabilities (`workbench predict`).
public struct ImagePrediction: Codable, Equatable, Sendable {
    /// One class and its probability.
    public struct Entry: Codable, Equatable, Sendable {
        public var index: Int
        public var name: String
        public var probability: Double
    }

    public var path: String
    /// Most probable first (`torch.topk(probabilities, k)`; equal probabilities in class order).
    public var top: [Entry]

    /// The `k` largest of `probabilities`, largest first, ties in index order.
    public static func topK(_ probabilities: [Float], k: Int) -> [(index: Int, probability: Float)] {
        probabilities.enumerated().sorted { a, b in
            a.element != b.element ? a.element > b.element : a.offset < b.offset
        }.prefix(max(k, 0)).map { ($0.offset, $0.element) }
    }

    /// Predicts each image of `paths` with `model` in eval mode and without autograd, after `transform` (the
    /// run's evaluation transform), in batches of `batchSize`; one result per path, in order. An image that cannot
    /// be loaded or transformed is a failure naming it, and the others are still predicted.
    public static func predict(
        _ model: Module, paths: [String], classes: [String], transform: any ImageTransform, k: Int,
        batchSize: Int = 16
    ) -> [Result<ImagePrediction, any Error>] {
        model.eval()
        var results: [Result<ImagePrediction, any Error>?] = Array(repeating: nil, count: paths.count)
        var pending: [(position: Int, tensor: Tensor)] = []
        func flush() {
            guard !pending.isEmpty else { return }
            let batch = Tensor(
                shape: [pending.count] + pending[0].tensor.shape, values: pending.flatMap { $0.tensor.toArray() })
            let probabilities = noGrad { softmax(model(batch), dim: 1) }.toArray()
            for (row, item) in pending.enumerated() {
                let slice = Array(probabilities[(row * classes.count)..<((row + 1) * classes.count)])
                let top = topK(slice, k: k).map {
                    Entry(index: $0.index, name: classes[$0.index], probability: Double($0.probability))
                }
                results[item.position] = .success(ImagePrediction(path: paths[item.position], top: top))
            }
            pending.removeAll()
        }
        for (position, path) in paths.enumerated() {
            do {
                var random = TransformRandom(name: "predict", seed: 0)
                let tensor = try transform.apply(try ImageFolder.loadImage(path: path), random: &random)
                if let first = pending.first, first.tensor.shape != tensor.shape { flush() }
                pending.append((position, tensor))
                if pending.count == batchSize { flush() }
            } catch {
                results[position] = .failure(error)
            }
        }
        flush()
        return results.map { $0! }
    }
}
