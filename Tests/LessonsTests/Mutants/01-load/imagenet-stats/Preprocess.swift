// Reference solution of lesson 01 (graded by `workbench grade 1 --solution`).
import NN
import Tensors
import Vision

/// The preprocessing the embedded model was pretrained with: ToTensor, then Normalize with the model's statistics.
func makePreprocessing() -> Compose? {
    Compose([ToTensor(), Normalize.imageNet])
}

/// Inference as PyTorch does it: `model.eval()` and `torch.no_grad()`.
func predict(_ model: ResNet, _ batch: Tensor) -> Tensor? {
    model.eval()
    return noGrad { model(batch) }
}
