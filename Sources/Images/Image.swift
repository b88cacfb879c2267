/// A decoded raster image: row-major HWC samples, 1 to 4 channels, 8 or 16 bits per sample.
///
/// Layout: sample `(y, x, c)` is `samples[(y * width + x) * channels + c]`, the order of
/// torchvision's decoder before it permutes to CHW. Channels are 1 (gray), 2 (gray + alpha),
/// 3 (RGB) or 4 (RGBA). Every bit depth is stored in `UInt16`: an 8-bit image holds 0...255,
/// a 16-bit image holds the file's full 0...65535 (torchvision's `read_image` returns `uint16`
/// for 16-bit PNGs; this type keeps that instead of PIL's clipping to 255).
public struct Image: Equatable, Sendable {
    /// Columns (W).
    public var width: Int
    /// Rows (H).
    public var height: Int
    /// Samples per pixel (C): 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA.
    public var channels: Int
    /// Bits per sample: 8 (values 0...255) or 16 (values 0...65535).
    public var bitDepth: Int
    /// `height * width * channels` samples in HWC order.
    public var samples: [UInt16]

    /// Creates an image after checking that the fields agree.
    ///
    /// - Throws: ``ImageError/invalidImage(reason:)`` when the sizes are not positive, `channels`
    ///   is not 1...4, `bitDepth` is not 8 or 16, the sample count is not `height * width *
    ///   channels`, or an 8-bit sample exceeds 255.
    public init(width: Int, height: Int, channels: Int, bitDepth: Int, samples: [UInt16]) throws {
        self.width = width
        self.height = height
        self.channels = channels
        self.bitDepth = bitDepth
        self.samples = samples
        try validate()
    }

    /// The largest sample value: 255 for 8-bit images, 65535 for 16-bit images.
    public var maximumValue: Int { (1 << bitDepth) - 1 }

    /// The sample at row `y`, column `x`, channel `c`.
    public subscript(y: Int, x: Int, c: Int) -> UInt16 {
        samples[(y * width + x) * channels + c]
    }

    /// The samples as a `[C, H, W]` float array in [0, 1].
    ///
    /// Mirrors `torchvision.transforms.v2.functional.to_dtype(read_image(path), torch.float32,
    /// scale=True)`, which multiplies each sample by `Float(1 / 255)` (8-bit) or `Float(1 / 65535)`
    /// (16-bit). That product differs from `sample / 255` in the last bit for about half the values.
    public func toCHWFloat() -> (shape: [Int], values: [Float]) {
        let scale = Float(1 / Double(maximumValue))
        let plane = width * height
        var values = [Float](repeating: 0, count: channels * plane)
        for pixel in 0..<plane {
            for c in 0..<channels {
                values[c * plane + pixel] = Float(samples[pixel * channels + c]) * scale
            }
        }
        return ([channels, height, width], values)
    }

    /// Throws ``ImageError/invalidImage(reason:)`` naming the first field that is inconsistent.
    func validate() throws {
        guard width > 0, height > 0 else {
            throw ImageError.invalidImage(reason: "size \(width) x \(height) is not positive")
        }
        guard (1...4).contains(channels) else {
            throw ImageError.invalidImage(reason: "channels is \(channels), expected 1...4")
        }
        guard bitDepth == 8 || bitDepth == 16 else {
            throw ImageError.invalidImage(reason: "bitDepth is \(bitDepth), expected 8 or 16")
        }
        let (row, rowOverflow) = width.multipliedReportingOverflow(by: channels)
        let (expected, overflow) = height.multipliedReportingOverflow(by: row)
        guard !rowOverflow, !overflow, samples.count == expected else {
            throw ImageError.invalidImage(
                reason: "\(samples.count) samples for shape [H: \(height), W: \(width), C: \(channels)]")
        }
        if bitDepth == 8, let index = samples.firstIndex(where: { $0 > 255 }) {
            throw ImageError.invalidImage(
                reason: "sample \(index) is \(samples[index]), above 255 for an 8-bit image")
        }
    }
}
