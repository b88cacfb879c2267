import Foundation
import Tensors

/// A crop window: rows `top ..< top + height`, columns `left ..< left + width`.
public struct CropBox: Equatable, Sendable, CustomStringConvertible {
    public var top: Int
    public var left: Int
    public var height: Int
    public var width: Int

    public init(top: Int, left: Int, height: Int, width: Int) {
        self.top = top
        self.left = left
        self.height = height
        self.width = width
    }

    public var description: String { "(top: \(top), left: \(left), height: \(height), width: \(width))" }
}

/// Crops a random window of random area and aspect ratio, then resizes it to `height x width`, like
/// `torchvision.transforms.RandomResizedCrop` on a tensor: the standard ImageNet training augmentation.
///
/// The window is chosen by ``parameters(height:width:scale:ratio:random:)`` (torchvision's `get_params`); the
/// resize is ``Resize``'s bilinear interpolation, antialiased by default.
///
/// Shape: `[C, H, W]` -> `[C, height, width]`.
public struct RandomResizedCrop: Transform {
    public var height: Int
    public var width: Int
    /// The range of the window's area as a fraction of the image's area.
    public var scale: ClosedRange<Double>
    /// The range of the window's aspect ratio (width / height), sampled uniformly in log space.
    public var ratio: ClosedRange<Double>
    public var antialias: Bool

    /// Crops and resizes to `size x size`.
    public init(
        _ size: Int, scale: ClosedRange<Double> = 0.08...1.0,
        ratio: ClosedRange<Double> = (3.0 / 4.0)...(4.0 / 3.0), antialias: Bool = true
    ) {
        self.init(height: size, width: size, scale: scale, ratio: ratio, antialias: antialias)
    }

    /// Crops and resizes to `height x width`.
    public init(
        height: Int, width: Int, scale: ClosedRange<Double> = 0.08...1.0,
        ratio: ClosedRange<Double> = (3.0 / 4.0)...(4.0 / 3.0), antialias: Bool = true
    ) {
        require(height > 0 && width > 0, "RandomResizedCrop size must be positive, got (\(height), \(width))")
        require(
            scale.lowerBound > 0 && ratio.lowerBound > 0,
            "RandomResizedCrop scale \(scale) and ratio \(ratio) must be positive")
        self.height = height
        self.width = width
        self.scale = scale
        self.ratio = ratio
        self.antialias = antialias
    }

    public func apply(_ image: Tensor, random: inout TransformRandom) throws -> Tensor {
        let (_, inHeight, inWidth) = try imageDimensions(image, "RandomResizedCrop")
        let box = RandomResizedCrop.parameters(
            height: inHeight, width: inWidth, scale: scale, ratio: ratio,
            random: &random)
        let window = Crop.crop(image, top: box.top, left: box.left, height: box.height, width: box.width)
        return Resample.resize(window, height: height, width: width, antialias: antialias)
    }

    /// The window for an image of `height x width`: torchvision's `RandomResizedCrop.get_params`, step for step.
    ///
    /// Up to 10 tries, each taking two draws: an area `height * width * s` with `s` uniform in `scale`, and an
    /// aspect ratio `exp(l)` with `l` uniform in `[log(ratio.lower), log(ratio.upper)]` (float32, as torch).
    /// The window's sides are `round(sqrt(area * ratio))` by `round(sqrt(area / ratio))` (half to even); when they
    /// fit, two more draws place it (`top = floor(u * (height - h + 1))`, likewise `left`). After 10 misfits the
    /// fallback is a centre crop of the whole image clamped to the ratio range. `log` and `exp` are libm's float32
    /// functions; torch's vectorized ones may differ by 1 ulp (`log(Float(3 / 4))` does), which moves a box only
    /// when a side lands within an ulp of a half-integer.
    public static func parameters(
        height: Int, width: Int, scale: ClosedRange<Double>, ratio: ClosedRange<Double>,
        random: inout TransformRandom
    ) -> CropBox {
        let area = Double(height * width)
        let logRatio = (log(Float(ratio.lowerBound)), log(Float(ratio.upperBound)))
        for _ in 0..<10 {
            let fraction = random.uniform(from: Float(scale.lowerBound), to: Float(scale.upperBound))
            let targetArea = area * Double(fraction)
            let aspectRatio = Double(exp(random.uniform(from: logRatio.0, to: logRatio.1)))
            let w = Int((targetArea * aspectRatio).squareRoot().rounded(.toNearestOrEven))
            let h = Int((targetArea / aspectRatio).squareRoot().rounded(.toNearestOrEven))
            if 0 < w && w <= width && 0 < h && h <= height {
                let top = random.integer(below: height - h + 1)
                let left = random.integer(below: width - w + 1)
                return CropBox(top: top, left: left, height: h, width: w)
            }
        }
        let inRatio = Double(width) / Double(height)
        var (h, w) = (height, width)
        if inRatio < ratio.lowerBound {
            h = Int((Double(width) / ratio.lowerBound).rounded(.toNearestOrEven))
        } else if inRatio > ratio.upperBound {
            w = Int((Double(height) * ratio.upperBound).rounded(.toNearestOrEven))
        }
        return CropBox(top: (height - h) / 2, left: (width - w) / 2, height: h, width: w)
    }
}
