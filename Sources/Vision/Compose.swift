import Images
import Tensors

/// Applies transforms one after another, like `torchvision.transforms.Compose`.
///
/// As an ``ImageTransform`` (what ``ImageFolder`` and ``DataLoader`` take) it first converts the decoded image with
/// ``ToTensor``, as `Compose([ToTensor(), ...])` does in torchvision. Random steps draw from the one
/// ``TransformRandom`` in order.
public struct Compose: Transform, ImageTransform {
    public var transforms: [any Transform]

    public init(_ transforms: [any Transform]) {
        self.transforms = transforms
    }

    public func apply(_ image: Tensor, random: inout TransformRandom) throws -> Tensor {
        var current = image
        for transform in transforms {
            current = try transform.apply(current, random: &random)
        }
        return current
    }

    public func apply(_ image: Image, random: inout TransformRandom) throws -> Tensor {
        try apply(ToTensor()(image), random: &random)
    }
}
