// Mutated solution (Tests/LessonsTests): the mistake 'last-tensors'.
import NN
import Tensors

/// The residual blocks are the children of the four stages; unfreeze the last n of them, nothing else.
func unfreezeLastBlocks(_ model: ResNet, _ n: Int) -> ResNet? {
    for parameter in model.parameters().suffix(n) { parameter.requiresGrad = true }
    return model
}
