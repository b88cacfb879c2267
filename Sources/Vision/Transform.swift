import Images
import Tensors

/// One step of an image pipeline on a `[C, H, W]` float tensor, like a `torchvision.transforms` module applied
/// to a tensor.
///
/// Deterministic transforms ignore `random`; random ones (``RandomResizedCrop``, ``RandomHorizontalFlip``) take
/// their draws from it in order, so a pipeline consumes one stream front to back.
public protocol Transform: ComposeStep {
    /// The transformed image. Shape: `[C, H, W]` in, `[C, H', W']` out.
    ///
    /// - Throws: ``VisionError/invalidInput(transform:shape:reason:)`` for a tensor of the wrong rank or channels.
    func apply(_ image: Tensor, random: inout TransformRandom) throws -> Tensor
}

extension Transform {
    /// Applies the transform, drawing any randomness from `random`.
    public func callAsFunction(_ image: Tensor, random: inout TransformRandom) throws -> Tensor {
        try apply(image, random: &random)
    }

    /// Applies the transform; random transforms draw from the fixed stream `"transforms"` under seed 0, so pass a
    /// ``TransformRandom`` of your own to get different draws.
    public func callAsFunction(_ image: Tensor) throws -> Tensor {
        var random = TransformRandom(name: "transforms", seed: 0)
        return try apply(image, random: &random)
    }
}

/// What turns a decoded ``Image`` into the tensor a dataset yields: ``ToTensor``, a ``Compose`` that starts with it,
/// or the ``ImageClassification`` preset.
public protocol ImageTransform: Sendable {
    /// The image as a `[C, H, W]` float tensor, transformed.
    func apply(_ image: Image, random: inout TransformRandom) throws -> Tensor
}

extension ImageTransform {
    /// Applies the transform to a decoded image, drawing any randomness from `random`.
    public func callAsFunction(_ image: Image, random: inout TransformRandom) throws -> Tensor {
        try apply(image, random: &random)
    }

    /// Applies the transform to a decoded image with the fixed stream `"transforms"` under seed 0.
    public func callAsFunction(_ image: Image) throws -> Tensor {
        var random = TransformRandom(name: "transforms", seed: 0)
        return try apply(image, random: &random)
    }
}

/// The `(channels, height, width)` of a `[C, H, W]` tensor, or an ``VisionError/invalidInput(transform:shape:reason:)``
/// naming `transform`.
func imageDimensions(_ image: Tensor, _ transform: String) throws -> (channels: Int, height: Int, width: Int) {
    guard image.rank == 3, image.count > 0 else {
        throw VisionError.invalidInput(
            transform: transform, shape: image.shape,
            reason: "expected a non-empty [C, H, W] image tensor")
    }
    return (image.shape[0], image.shape[1], image.shape[2])
}
