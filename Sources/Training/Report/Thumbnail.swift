import Foundation
import Images
import Tensors
import Vision

/// A small copy of an image file as a `data:image/png;base64,...` URI, for a report that must open without the
/// original files or a network: decoded as the data set decodes it (``ImageFolder/loadImage(path:)``: RGB, any
/// format the loader reads), scaled down with torchvision's antialiased bilinear ``Resize`` so its longer side is
/// at most `maxSide` (smaller images keep their size; CSS scales them up, pixelated), rounded to 8 bits and
/// encoded with the PNG encoder.
public enum Thumbnail {
    /// The thumbnail of the image at `path`.
    ///
    /// - Throws: the loader's error naming the file (missing, unreadable, unsupported format).
    public static func dataURI(path: String, maxSide: Int = 128) throws -> String {
        let image = try ImageFolder.loadImage(path: path)
        let small = try scaled(image, maxSide: maxSide)
        return "data:image/png;base64," + Data(try PNG.encode(small)).base64EncodedString()
    }

    /// `image` (RGB) scaled so that its longer side is at most `maxSide`, as an 8-bit RGB image.
    public static func scaled(_ image: Image, maxSide: Int) throws -> Image {
        let longer = max(image.width, image.height)
        var tensor = ToTensor()(image)
        if longer > maxSide {
            let scale = Double(maxSide) / Double(longer)
            let height = max(1, Int((Double(image.height) * scale).rounded()))
            let width = max(1, Int((Double(image.width) * scale).rounded()))
            tensor = try Resize(height: height, width: width)(tensor)
        }
        let (channels, height, width) = (tensor.shape[0], tensor.shape[1], tensor.shape[2])
        let values = tensor.toArray()
        let plane = height * width
        var samples = [UInt16](repeating: 0, count: plane * channels)
        for pixel in 0..<plane {
            for c in 0..<channels {
                let value = (values[c * plane + pixel] * 255).rounded()
                samples[pixel * channels + c] = UInt16(min(max(value, 0), 255))
            }
        }
        return try Image(width: width, height: height, channels: channels, bitDepth: 8, samples: samples)
    }
}
