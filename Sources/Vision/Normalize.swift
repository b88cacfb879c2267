import Tensors

/// Normalizes each channel of a `[C, H, W]` image as `(x - mean[c]) / std[c]` in float32, like
/// `torchvision.transforms.Normalize` (which subtracts, then divides: a multiplication by `1 / std` differs in the
/// last bit).
///
/// Shape: `[C, H, W]` -> `[C, H, W]`; `mean` and `std` have C entries, or one entry for every channel.
public struct Normalize: Transform {
    public var mean: [Float]
    public var std: [Float]

    /// The ImageNet statistics torchvision's pretrained classifiers expect: mean (0.485, 0.456, 0.406),
    /// std (0.229, 0.224, 0.225).
    public static let imageNet = Normalize(mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])

    /// Normalizes with per-channel `mean` and `std` (equal counts; no zero in `std`).
    public init(mean: [Float], std: [Float]) {
        require(
            !mean.isEmpty && mean.count == std.count,
            "Normalize needs as many means as stds, got \(mean.count) and \(std.count)")
        require(!std.contains(0), "Normalize std \(std) contains 0, which would divide by zero")
        self.mean = mean
        self.std = std
    }

    public func apply(_ image: Tensor, random: inout TransformRandom) throws -> Tensor {
        let (channels, height, width) = try imageDimensions(image, "Normalize")
        guard mean.count == channels || mean.count == 1 else {
            throw VisionError.invalidInput(
                transform: "Normalize", shape: image.shape,
                reason: "\(mean.count) means and stds for \(channels) channels")
        }
        let plane = height * width
        let output = Tensor.zeros(image.shape)
        image.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { result in
                for c in 0..<channels {
                    let (m, s) = mean.count == 1 ? (mean[0], std[0]) : (mean[c], std[c])
                    let from = input.baseAddress! + c * plane
                    let to = result.baseAddress! + c * plane
                    for i in 0..<plane { to[i] = (from[i] - m) / s }
                }
            }
        }
        return output
    }
}
