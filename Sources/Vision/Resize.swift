import Foundation
import Tensors

/// Resizes a `[C, H, W]` image with bilinear interpolation, like `torchvision.transforms.Resize` on a tensor.
///
/// - `Resize(256)` scales the shorter side to 256 and the longer side to `int(256 * long / short)` (truncated,
///   as torchvision's `_compute_resized_output_size` does); `Resize(height:width:)` gives an exact size.
/// - `antialias: true` (torchvision's default) uses PyTorch's antialiased kernel (`_upsample_bilinear2d_aa`):
///   when downscaling, the triangle filter widens to `in / out` input pixels, so every input pixel contributes;
///   when upscaling its weights are the bilinear ones. `antialias: false` is `F.interpolate(mode="bilinear",
///   align_corners=False)`, which samples only the two nearest pixels per side and aliases when downscaling.
///
/// Shape: `[C, H, W]` -> `[C, H', W']`. An image already of the target size is returned as is.
public struct Resize: Transform {
    /// How the output size is chosen.
    public enum Size: Equatable, Sendable {
        /// The shorter side becomes this length; the longer side keeps the aspect ratio (truncated).
        case shorterSide(Int)
        /// Exactly this height and width.
        case exact(height: Int, width: Int)
    }

    public var size: Size
    public var antialias: Bool

    /// Resizes the shorter side to `shorterSide` (torchvision's `Resize(int)`).
    public init(_ shorterSide: Int, antialias: Bool = true) {
        require(shorterSide > 0, "Resize size must be positive, got \(shorterSide)")
        size = .shorterSide(shorterSide)
        self.antialias = antialias
    }

    /// Resizes to exactly `height x width` (torchvision's `Resize((h, w))`).
    public init(height: Int, width: Int, antialias: Bool = true) {
        require(height > 0 && width > 0, "Resize size must be positive, got (\(height), \(width))")
        size = .exact(height: height, width: width)
        self.antialias = antialias
    }

    /// The output size for an input of `height x width` (`_compute_resized_output_size` without `max_size`).
    public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        switch size {
        case let .exact(outHeight, outWidth):
            return (outHeight, outWidth)
        case let .shorterSide(target):
            let (short, long) = width <= height ? (width, height) : (height, width)
            let newLong = Int(Double(target * long) / Double(short))
            return width <= height ? (newLong, target) : (target, newLong)
        }
    }

    public func apply(_ image: Tensor, random: inout TransformRandom) throws -> Tensor {
        let (_, height, width) = try imageDimensions(image, "Resize")
        let target = outputSize(height: height, width: width)
        return Resample.resize(image, height: target.height, width: target.width, antialias: antialias)
    }
}
