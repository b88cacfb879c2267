// Mutated solution (Tests/LessonsTests): the mistake 'one-block-too-many'.
import NN
import Tensors

/// The residual blocks are the children of the four stages; unfreeze the last n of them, nothing else.
func unfreezeLastBlocks(_ model: ResNet, _ n: Int) -> ResNet? {
    let blocks = [model.layer1, model.layer2, model.layer3, model.layer4].flatMap(\.children)
    for block in blocks.suffix(n + 1) { block.unfreeze() }
    return model
}
