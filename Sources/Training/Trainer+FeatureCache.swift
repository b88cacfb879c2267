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
        var history: [Epoch] = []
        for epoch in 0..<epochs {
            let start = DispatchTime.now().uptimeNanoseconds
            prepareEpoch(model)
            let obstacle = FeatureCache.obstacle(model: model, augmented: false)
            require(obstacle == nil, "Trainer.fit(features:): cannot reuse cached features: \(obstacle ?? "")")
            var total = 0.0
            var count = 0
            for result in IteratorSequence(features.makeIterator()) {
                let batch = try result.get()
                let value = loss(model.fc(batch.features), batch.labels)
                value.backward()
                optimizer.step()
                optimizer.zeroGrad()
                total += Double(value.item()) * Double(batch.labels.count)
                count += batch.labels.count
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let report = Epoch(index: epoch + 1, meanLoss: count == 0 ? 0 : total / Double(count), seconds: seconds)
            history.append(report)
            log(report)
        }
        return history
    }
}
