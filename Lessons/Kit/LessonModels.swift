import Foundation
import NN
import Tensors
import Training

// The models the lessons start from, written once.

extension EmbeddedFixtures {
    /// The embedded resnet18 with its pretrained weights loaded strictly (its head still the source task's).
    public func pretrainedModel() throws -> ResNet {
        let model = resnet18(numClasses: pretrainedClasses, baseChannels: baseChannels)
        try model.loadCheckpoint(path: checkpointPath)
        return model
    }
}

extension LessonReferences {
    /// The new head `Linear(inFeatures, 5)` with the initial values PyTorch drew (`04-train/initial`, LESSONS.md
    /// "The new head"), so the lessons start from the very same head.
    public func recordedHead(inFeatures: Int) throws -> Linear {
        let weight = try tensor("04-train/initial/fc.weight")
        let bias = try tensor("04-train/initial/fc.bias")
        let head = Linear(inFeatures: inFeatures, outFeatures: weight.shape[0])
        head.weight.assign(weight)
        head.bias!.assign(bias)
        return head
    }
}

/// A copy of `model` (PyTorch's `copy.deepcopy`): the same values and the same `requires_grad`, so that a forward in
/// train mode moves the copy's running statistics and not the model's.
public func deepCopy(_ model: ResNet) throws -> ResNet {
    let copy = resnet18(numClasses: model.fc.outFeatures, baseChannels: model.baseChannels)
    try copy.loadStateDict(model.stateDict())
    for ((_, source), (_, target)) in zip(model.namedParameters(), copy.namedParameters()) {
        target.requiresGrad = source.requiresGrad
    }
    return copy
}
