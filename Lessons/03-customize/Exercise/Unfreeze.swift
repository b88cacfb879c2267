// Lesson 03 exercise: "unfreeze the last N residual blocks" of a frozen ResNet that already has its new head.
// Edit this file, then run `swift run -c release workbench grade 3`. `workbench hint 3` gives a hint;
// `workbench reset 3` restores this file as it was.
import NN
import Tensors

/// Makes the last `n` residual blocks of `model` trainable (every parameter inside them requires grad) and leaves
/// everything else as it is.
///
/// `model` comes frozen with a new, trainable head (lesson 02's freeze-then-replace). A ResNet-18 has 8 residual
/// blocks (BasicBlocks), two per stage: `layer1.0, layer1.1, layer2.0, ..., layer4.1`; `n` counts from the last.
func unfreezeLastBlocks(_ model: ResNet, _ n: Int) -> ResNet? {
    // TODO: list the residual blocks in forward order, take the last n, and let gradients flow through them.
    return nil
}
