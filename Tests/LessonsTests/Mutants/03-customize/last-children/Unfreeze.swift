// Mutated solution (Tests/LessonsTests): the mistake 'last-children'.
import NN
import Tensors

/// The residual blocks are the children of the four stages; unfreeze the last n of them, nothing else.
func unfreezeLastBlocks(_ model: ResNet, _ n: Int) -> ResNet? {
    for child in model.children.suffix(n) { child.unfreeze() }
    return model
}
