// Mutated solution (Tests/LessonsTests): the mistake 'hard-coded-classes'.
import NN
import Tensors

/// Freeze first, then replace: the new head's parameters are created after the loop, so they require grad.
func freezeAndReplaceHead(_ model: ResNet, numClasses: Int) -> ResNet? {
    model.freeze()
    model.fc = Linear(inFeatures: model.numFeatures, outFeatures: 5)
    return model
}

/// The frozen backbone in eval mode (its batch norms use and keep the pretrained statistics), the head in train mode.
func prepareForTraining(_ model: ResNet) -> ResNet? {
    model.eval()
    model.fc.train()
    return model
}
