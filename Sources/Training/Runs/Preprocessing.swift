import Vision

/// How a model's input images are prepared: the preset of the weights it was pretrained with, as torchvision's
/// `weights.transforms()` gives it (`ImageClassification(crop_size=224, resize_size=256, mean=..., std=...)`), and
/// the usual training augmentation around it.
///
/// - Evaluation (and `predict`): `Resize(resize)` (shorter side), `CenterCrop(imageSize)`, `ToTensor()`,
///   `Normalize(mean, std)`.
/// - Training with augmentation: `RandomResizedCrop(imageSize)`, `RandomHorizontalFlip()`, `ToTensor()`,
///   `Normalize(mean, std)` - the ImageNet recipe of torchvision's reference scripts; without augmentation, the
///   evaluation pipeline.
///
/// Shapes: a decoded image of any size -> `[3, imageSize, imageSize]`.
public struct Preprocessing: Codable, Equatable, Sendable {
    /// The shorter side an evaluation image is resized to before its centre crop (`resize_size`).
    public var resize: Int
    /// The side of the square the model sees (`crop_size`).
    public var imageSize: Int
    /// Per-channel normalisation, as the weights were pretrained.
    public var mean: [Float]
    public var std: [Float]

    public init(resize: Int, imageSize: Int, mean: [Float], std: [Float]) {
        self.resize = resize
        self.imageSize = imageSize
        self.mean = mean
        self.std = std
    }

    /// torchvision's ImageNet preset (`ResNet18_Weights.IMAGENET1K_V1.transforms()`): resize 256, crop 224,
    /// mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225).
    public static let imageNet = Preprocessing(
        resize: 256, imageSize: 224, mean: Normalize.imageNet.mean, std: Normalize.imageNet.std)

    /// The embedded model's preset: its 32x32 input and the source task's statistics (Fixtures/models/*.json).
    public static func embedded(_ fixtures: EmbeddedFixtures) -> Preprocessing {
        Preprocessing(
            resize: fixtures.inputSize, imageSize: fixtures.inputSize, mean: fixtures.mean, std: fixtures.std)
    }

    /// The same preset at another input size: the crop becomes `imageSize` and the resize keeps the preset's
    /// ratio (256 / 224 for ImageNet), as torchvision's reference scripts do for `--val-crop-size`.
    public func resized(to imageSize: Int) -> Preprocessing {
        let ratio = Double(resize) / Double(self.imageSize)
        return Preprocessing(
            resize: Int((Double(imageSize) * ratio).rounded()), imageSize: imageSize, mean: mean, std: std)
    }

    /// The evaluation pipeline: resize, centre crop, to tensor, normalise.
    public var evaluationTransform: Compose {
        Compose([ToTensor(), Resize(resize), CenterCrop(imageSize), Normalize(mean: mean, std: std)])
    }

    /// The training pipeline: with `augment`, random resized crop and horizontal flip; otherwise
    /// ``evaluationTransform``.
    public func trainingTransform(augment: Bool) -> Compose {
        guard augment else { return evaluationTransform }
        return Compose([
            ToTensor(), RandomResizedCrop(imageSize), RandomHorizontalFlip(), Normalize(mean: mean, std: std),
        ])
    }
}
