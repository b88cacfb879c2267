// Mutated solution (Tests/LessonsTests): the mistake 'always-layer4'.
import NN
import Tensors

/// The residual blocks are the children of the four stages; unfreeze the last n of them, nothing else.
func unfreezeLastBlocks(_ model: ResNet, _ n: Int) -> ResNet? {
    model.layer4.unfreeze()
    return model
}
