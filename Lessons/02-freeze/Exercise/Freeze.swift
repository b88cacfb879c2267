// Lesson 02 exercise: turn the pretrained model into a feature extractor for new classes.
// Edit this file, then run `swift run -c release workbench grade 2`. `workbench hint 2` gives a hint;
// `workbench reset 2` restores this file as it was.
import NN
import Tensors

/// The pretrained `model` as a feature extractor for `numClasses` new classes: every pretrained parameter frozen
/// (`requires_grad = False`) and a new, trainable classifier head `fc` of `numClasses` outputs.
///
/// `model.numFeatures` is the width of the features entering `fc` (torchvision's `model.fc.in_features`: 96 here).
func freezeAndReplaceHead(_ model: ResNet, numClasses: Int) -> ResNet? {
    // TODO: freeze the parameters and give the model a new head, in the order that leaves the head trainable.
    return nil
}

/// Puts a frozen feature extractor (as `freezeAndReplaceHead` returns it) in the mode to train its head in, so that
/// a training forward pass does not move the frozen backbone's batch-norm running statistics.
func prepareForTraining(_ model: ResNet) -> ResNet? {
    // TODO: choose the modes: what should the frozen backbone be in, and what should the new head be in?
    return nil
}
