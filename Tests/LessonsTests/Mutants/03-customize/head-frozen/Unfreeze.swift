// Mutated solution (Tests/LessonsTests): the mistake 'head-frozen'.
import NN
import Tensors

/// The residual blocks are the children of the four stages; unfreeze the last n of them, nothing else.
func unfreezeLastBlocks(_ model: ResNet, _ n: Int) -> ResNet? {
    model.freeze()
    let blocks = [model.layer1, model.layer2, model.layer3, model.layer4].flatMap(\.children)
    for block in blocks.suffix(n) { block.unfreeze() }
    return model
}
