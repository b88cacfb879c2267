// Mutated solution (Tests/LessonsTests): the mistake 'wrong-order'.
import NN
import Tensors

/// Freeze first, then replace: the new head's parameters are created after the loop, so they require grad.
func freezeAndReplaceHead(_ model: ResNet, numClasses: Int) -> ResNet? {
    model.fc = Linear(inFeatures: model.numFeatures, outFeatures: numClasses)
    model.freeze()
    return model
}

/// The frozen backbone in eval mode (its batch norms use and keep the pretrained statistics), the head in train mode.
func prepareForTraining(_ model: ResNet) -> ResNet? {
    model.eval()
    model.fc.train()
    return model
}
