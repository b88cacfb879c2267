import Tensors

/// Cropping with zero fill, shared by ``CenterCrop`` and ``RandomResizedCrop``.
enum Crop {
    /// The `height x width` window of `image` whose top-left corner is at (`top`, `left`); positions outside the
    /// image are 0. Mirrors torchvision's tensor `crop`, which pads with zeros when the box leaves the image.
    /// Shape: `[C, H, W]` -> `[C, height, width]`.
    static func crop(_ image: Tensor, top: Int, left: Int, height: Int, width: Int) -> Tensor {
        let (channels, inHeight, inWidth) = (image.shape[0], image.shape[1], image.shape[2])
        let output = Tensor.zeros([channels, height, width])
        let columns = max(0, left)..<min(inWidth, left + width)
        let rows = max(0, top)..<min(inHeight, top + height)
        guard !columns.isEmpty, !rows.isEmpty else { return output }
        image.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { result in
                for c in 0..<channels {
                    for y in rows {
                        let from = input.baseAddress! + (c * inHeight + y) * inWidth + columns.lowerBound
                        let to = result.baseAddress! + (c * height + y - top) * width + columns.lowerBound - left
                        to.update(from: from, count: columns.count)
                    }
                }
            }
        }
        return output
    }
}

/// Crops the centre of a `[C, H, W]` image, like `torchvision.transforms.CenterCrop` on a tensor.
///
/// The offsets are torchvision's `int(round((H - h) / 2))`, Python's round half to even (an odd difference of
/// 33 gives 16, of 7 gives 4). A crop larger than the image first pads it with zeros, `(h - H) // 2` rows on top
/// and the rest below (likewise columns), as `F.center_crop` does.
///
/// Shape: `[C, H, W]` -> `[C, height, width]`.
public struct CenterCrop: Transform {
    public var height: Int
    public var width: Int

    /// A square crop of `size x size`.
    public init(_ size: Int) {
        self.init(height: size, width: size)
    }

    /// A crop of `height x width`.
    public init(height: Int, width: Int) {
        require(height > 0 && width > 0, "CenterCrop size must be positive, got (\(height), \(width))")
        self.height = height
        self.width = width
    }

    /// The crop's top-left corner in the input's coordinates (negative inside the zero padding).
    public func origin(height inHeight: Int, width inWidth: Int) -> (top: Int, left: Int) {
        (CenterCrop.offset(inHeight, height), CenterCrop.offset(inWidth, width))
    }

    public func apply(_ image: Tensor, random: inout TransformRandom) throws -> Tensor {
        let (_, inHeight, inWidth) = try imageDimensions(image, "CenterCrop")
        let (top, left) = origin(height: inHeight, width: inWidth)
        return Crop.crop(image, top: top, left: left, height: height, width: width)
    }

    /// The offset of a crop of `crop` within `size` along one side, after torchvision's zero padding.
    static func offset(_ size: Int, _ crop: Int) -> Int {
        let before = crop > size ? (crop - size) / 2 : 0
        let after = crop > size ? (crop - size + 1) / 2 : 0
        let padded = size + before + after
        return Int((Double(padded - crop) / 2).rounded(.toNearestOrEven)) - before
    }
}
