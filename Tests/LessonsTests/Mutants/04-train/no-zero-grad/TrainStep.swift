// Reference solution of lesson 04 (graded by `workbench grade 4 --solution`).
import NN
import Optim
import Tensors

/// The post's loop body: `optimizer.zero_grad()`, `loss = criterion(model(inputs), labels)`, `loss.backward()`,
/// `optimizer.step()`.
func trainStep(_ model: ResNet, _ optimizer: SGD, _ images: Tensor, _ labels: [Int]) -> Float? {
    // mutant: no optimizer.zeroGrad(), so gradients accumulate
    let loss = crossEntropy(model(images), target: labels)
    loss.backward()
    optimizer.step()
    return loss.item()
}
