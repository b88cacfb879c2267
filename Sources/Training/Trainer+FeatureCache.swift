import Foundation
import NN
import Optim
import Tensors

extension Trainer {
    /// ``fit(_:optimizer:train:epochs:prepareEpoch:loss:log:)`` for a ResNet whose backbone is frozen and in eval
    /// mode, on the batches of `features`: the first epoch runs the backbone and caches its features, later
    /// epochs train `model.fc` on the cached ones (``FeatureCache``). The same batches, the same head and the same
    /// updates as the plain loop, which recomputes the features every epoch.
    ///
    /// - Precondition: ``FeatureCache/obstacle(model:augmented:)`` is nil after `prepareEpoch(model)`.
    public static func fit(
        _ model: ResNet, optimizer: some Optimizer, features: FeatureCache, epochs: Int,
        prepareEpoch: (ResNet) -> Void = { $0.train() },
        loss: (Tensor, [Int]) -> Tensor = { crossEntropy($0, target: $1) },
        log: (Epoch) -> Void = { _ in }
    ) throws -> [Epoch] {
        try runEpochs(epochs, optimizer: optimizer, log: log) { step in
            prepareEpoch(model)
            let obstacle = FeatureCache.obstacle(model: model, augmented: false)
            require(obstacle == nil, "Trainer.fit(features:): cannot reuse cached features: \(obstacle ?? "")")
            for result in IteratorSequence(features.makeIterator()) {
                let batch = try result.get()
                step(loss(model.fc(batch.features), batch.labels), batch.labels.count)
            }
        }
    }
}
