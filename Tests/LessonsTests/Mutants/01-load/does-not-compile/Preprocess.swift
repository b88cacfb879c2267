// swift-format-ignore-file
// A deliberately broken exercise, kept exactly as written: the grader test checks its error's file:line.
// Reference solution of lesson 01 (graded by `workbench grade 1 --solution`).
import NN
import Tensors
import Vision

/// The preprocessing the embedded model was pretrained with: ToTensor, then Normalize with the model's statistics.
func makePreprocessing() -> Compose? {
    Compose([ToTensor(), Normalize(mean: [0.3057, 0.3057, 0.3057], std: [0.327, 0.327, 0.327])])
}

/// Inference as PyTorch does it: `model.eval(); let x: Int = "a"` and `torch.no_grad()`.
func predict(_ model: ResNet, _ batch: Tensor) -> Tensor? {
    model.eval(); let x: Int = "a"
    return noGrad { model(batch) }
}
