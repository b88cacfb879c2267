import Images
import Tensors

/// Converts a decoded image to a `[C, H, W]` float tensor in [0, 1], like `torchvision.transforms.ToTensor`.
///
/// Each sample is divided by 255 (8-bit images) or 65535 (16-bit), the division torchvision's `to_tensor` and
/// `convert_image_dtype` perform; multiplying by `1 / 255` instead (v2's `to_dtype(scale=True)`, and
/// `Image.toCHWFloat()`) differs in the last bit for about half the values.
public struct ToTensor: ImageTransform, ComposeStep {
    public init() {}

    /// The image as `[C, H, W]` floats in [0, 1]. Shape: `[image.channels, image.height, image.width]`.
    public func callAsFunction(_ image: Image) -> Tensor {
        ToTensor.tensor(from: image, divisor: Float(image.maximumValue))
    }

    public func apply(_ image: Image, random: inout TransformRandom) -> Tensor {
        callAsFunction(image)
    }

    /// The samples permuted from HWC to CHW and divided by `divisor` (1 keeps the integer values).
    static func tensor(from image: Image, divisor: Float) -> Tensor {
        let (channels, plane) = (image.channels, image.height * image.width)
        let tensor = Tensor.zeros([channels, image.height, image.width])
        tensor.withUnsafeMutableBufferPointer { output in
            image.samples.withUnsafeBufferPointer { samples in
                for c in 0..<channels {
                    let destination = output.baseAddress! + c * plane
                    var source = c
                    for pixel in 0..<plane {
                        destination[pixel] = Float(samples[source]) / divisor
                        source += channels
                    }
                }
            }
        }
        return tensor
    }
}
