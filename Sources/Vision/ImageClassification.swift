import Images
import Tensors

/// The evaluation transform of torchvision's pretrained classifiers (`torchvision.transforms._presets.
/// ImageClassification`): resize the shorter side to `resizeSize`, crop the centre `cropSize x cropSize`, scale to
/// [0, 1], normalize with ImageNet statistics.
///
/// ``resnet18ImageNet1kV1`` is `ResNet18_Weights.IMAGENET1K_V1.transforms()`. Like torchvision, the preset
/// works on the image's integers when given a decoded ``Image`` (what `read_image` returns): the resize runs in
/// float on 0 ... 255, its result is rounded half to even back to integers, then cropped, divided by 255 and
/// normalized. Given a float tensor (after ``ToTensor``), it resizes the floats and never rounds; the two
/// differ by up to half a grey level before normalization.
///
/// Shape: `[C, H, W]` (or an image of C channels) -> `[C, cropSize, cropSize]`.
public struct ImageClassification: ImageTransform, Transform {
    public var cropSize: Int
    public var resizeSize: Int
    public var mean: [Float]
    public var std: [Float]
    public var antialias: Bool

    /// `ResNet18_Weights.IMAGENET1K_V1.transforms()`: resize 256, centre crop 224, ImageNet mean and std.
    public static let resnet18ImageNet1kV1 = ImageClassification(cropSize: 224)

    public init(
        cropSize: Int, resizeSize: Int = 256, mean: [Float] = Normalize.imageNet.mean,
        std: [Float] = Normalize.imageNet.std, antialias: Bool = true
    ) {
        self.cropSize = cropSize
        self.resizeSize = resizeSize
        self.mean = mean
        self.std = std
        self.antialias = antialias
    }

    /// The integer path, as torchvision on `read_image`'s uint8 (or uint16) tensor.
    public func apply(_ image: Image, random: inout TransformRandom) throws -> Tensor {
        let maximum = Float(image.maximumValue)
        let resized = try Resize(resizeSize, antialias: antialias).apply(
            ToTensor.tensor(from: image, divisor: 1),
            random: &random)
        let rounded = Tensor.zeros(resized.shape)
        resized.withUnsafeBufferPointer { input in
            rounded.withUnsafeMutableBufferPointer { output in
                for i in 0..<input.count {
                    output[i] = min(max(input[i].rounded(.toNearestOrEven), 0), maximum)
                }
            }
        }
        let cropped = try CenterCrop(cropSize).apply(rounded, random: &random)
        cropped.withUnsafeMutableBufferPointer { values in
            for i in 0..<values.count { values[i] /= maximum }
        }
        return try Normalize(mean: mean, std: std).apply(cropped, random: &random)
    }

    /// The float path, as torchvision on a float tensor in [0, 1]: resize, crop, normalize.
    public func apply(_ image: Tensor, random: inout TransformRandom) throws -> Tensor {
        let steps: [any ComposeStep] = [
            Resize(resizeSize, antialias: antialias), CenterCrop(cropSize),
            Normalize(mean: mean, std: std),
        ]
        return try Compose(steps).apply(image, random: &random)
    }
}
