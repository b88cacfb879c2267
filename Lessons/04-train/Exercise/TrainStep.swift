// Lesson 04 exercise: one step of the post's training loop.
// Edit this file, then run `swift run -c release workbench grade 4`. `workbench hint 4` gives a hint;
// `workbench reset 4` restores this file as it was.
import NN
import Optim
import Tensors

/// One training step on one batch, as the post's loop body does it, returning the batch's loss (`loss.item()`).
///
/// - `model`: the pretrained ResNet-18 with layer4 and the new head trainable, already in train mode.
/// - `optimizer`: `SGD(parameters: model.trainableParameters(), lr: 0.001, momentum: 0.9)`.
/// - `images`: a batch `[N, 3, 32, 32]`, preprocessed; `labels`: its `N` class indices.
///
/// The PyTorch it mirrors has five lines: clear the gradients, forward, `nn.CrossEntropyLoss()`, backward, step.
/// The Swift names: `optimizer.zeroGrad()`, `model(images)`, `crossEntropy(_:target:)`, `.backward()`,
/// `optimizer.step()`, `.item()`.
func trainStep(_ model: ResNet, _ optimizer: SGD, _ images: Tensor, _ labels: [Int]) -> Float? {
    // TODO: the five lines of the post's loop body, in the right order; return the loss as a Float.
    return nil
}
