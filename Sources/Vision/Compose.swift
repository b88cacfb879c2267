import Images
import Tensors

/// A step a ``Compose`` can hold: any tensor ``Transform``, or ``ToTensor``, which turns the decoded image into a
/// tensor.
public protocol ComposeStep: Sendable {}

/// Applies transforms one after another, like `torchvision.transforms.Compose`, written out as torchvision writes
/// it: `Compose([ToTensor(), Normalize(mean: ..., std: ...)])`.
///
/// Applied to a decoded image (as ``ImageFolder`` and ``DataLoader`` do) its first step must turn the image into a
/// tensor - ``ToTensor`` or a ``Compose`` that starts with it - and the others are tensor transforms; applied to a
/// tensor, every step is a tensor transform. Nothing is inserted: a pipeline without `ToTensor()` applied to an
/// image is an error naming it, as torchvision's `Normalize` rejects a PIL image. Random steps draw from the one
/// ``TransformRandom`` in order.
public struct Compose: Transform, ImageTransform, ComposeStep {
    public var transforms: [any ComposeStep]

    public init(_ transforms: [any ComposeStep]) {
        self.transforms = transforms
    }

    public func apply(_ image: Tensor, random: inout TransformRandom) throws -> Tensor {
        try applySteps(transforms[...], to: image, random: &random)
    }

    public func apply(_ image: Image, random: inout TransformRandom) throws -> Tensor {
        guard let first = transforms.first as? any ImageTransform else {
            throw VisionError.invalidPipeline(
                reason: "Compose applied to a decoded image must start with ToTensor(), as torchvision's does: "
                    + "Compose([ToTensor(), ...]); its first step is "
                    + (transforms.first.map { "\(type(of: $0))" } ?? "missing (the Compose is empty)"))
        }
        return try applySteps(transforms.dropFirst(), to: try first.apply(image, random: &random), random: &random)
    }

    private func applySteps(
        _ steps: ArraySlice<any ComposeStep>, to image: Tensor,
        random: inout TransformRandom
    ) throws -> Tensor {
        var current = image
        for step in steps {
            guard let transform = step as? any Transform else {
                throw VisionError.invalidPipeline(
                    reason: "\(type(of: step)) takes a decoded image, but here it gets a tensor: only the first step "
                        + "of a Compose applied to an image may be ToTensor()")
            }
            current = try transform.apply(current, random: &random)
        }
        return current
    }
}
