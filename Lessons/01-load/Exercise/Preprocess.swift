// Lesson 01 exercise: preprocess as the model was trained, and predict as PyTorch does at inference.
// Edit this file, then run `swift run -c release workbench grade 1`. `workbench hint 1` gives a hint;
// `workbench reset 1` restores this file as it was.
import NN
import Tensors
import Vision

/// The preprocessing the embedded model was pretrained with, as a torchvision-style pipeline:
/// a decoded image in, a normalised `[3, H, W]` tensor out.
///
/// The model's statistics are in `Fixtures/models/resnet18_w12_digits_source.json` ("normalize"): mean 0.3057 and
/// std 0.327 on every channel.
func makePreprocessing() -> Compose? {
    // TODO: return Compose([...]) as torchvision writes it: first turn the image into a tensor, then normalise.
    return nil
}

/// The model's logits `[N, numClasses]` for a batch `[N, 3, H, W]` of preprocessed images, computed as PyTorch
/// does at inference.
func predict(_ model: ResNet, _ batch: Tensor) -> Tensor? {
    // TODO: put the model in the mode used for inference and run it without recording gradients.
    return nil
}
