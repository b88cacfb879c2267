import Tensors

/// Mirrors a `[C, H, W]` image left to right with probability `p`, like `torchvision.transforms.RandomHorizontalFlip`.
///
/// Takes one draw `u` per call and flips when `u < Float(p)` (torchvision: `torch.rand(1) < p`).
public struct RandomHorizontalFlip: Transform {
    public var p: Double

    /// Flips with probability `p` (0 ... 1).
    public init(p: Double = 0.5) {
        require((0...1).contains(p), "RandomHorizontalFlip probability must be in 0 ... 1, got \(p)")
        self.p = p
    }

    public func apply(_ image: Tensor, random: inout TransformRandom) throws -> Tensor {
        let (channels, height, width) = try imageDimensions(image, "RandomHorizontalFlip")
        guard random.uniform() < Float(p) else { return image }
        let output = Tensor.zeros(image.shape)
        image.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { result in
                for row in 0..<(channels * height) {
                    let from = input.baseAddress! + row * width
                    let to = result.baseAddress! + row * width
                    for x in 0..<width { to[x] = from[width - 1 - x] }
                }
            }
        }
        return output
    }
}
