import CPNGCodec
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension PNG {
    /// Encodes an image as a non-interlaced PNG; mirrors `torchvision.io.encode_png`.
    ///
    /// Gray (1 channel), gray + alpha (2), RGB (3) and RGBA (4), each at 8 or 16 bits per sample,
    /// with libpng's default filtering and zlib level.
    /// - Throws: ``ImageError/invalidImage(reason:)`` when the image's fields disagree.
    public static func encode(_ image: Image) throws -> [UInt8] {
        try encode(image, name: "<encoded image>")
    }

    /// Encodes `image` and writes it to `path` atomically: the bytes go to a temporary file in the
    /// same folder, which is then renamed over `path`, so readers never see a partial PNG.
    ///
    /// Mirrors `torchvision.io.write_png`.
    /// - Throws: ``ImageError`` naming `path`.
    public static func write(_ image: Image, to path: String) throws {
        let bytes = try encode(image, name: path)
        let target = URL(fileURLWithPath: path)
        let temporary = target.deletingLastPathComponent()
            .appendingPathComponent(".\(target.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            try Data(bytes).write(to: temporary)
        } catch {
            throw ImageError.unwritable(file: path, reason: error.localizedDescription)
        }
        guard rename(temporary.path, target.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw ImageError.unwritable(file: path, reason: reason)
        }
    }

    /// Encodes `image`, naming `name` in libpng's errors.
    static func encode(_ image: Image, name: String) throws -> [UInt8] {
        try image.validate()
        let limit = Int(Int32.max)
        guard image.width <= limit, image.height <= limit else {
            throw ImageError.invalidImage(
                reason: "size \(image.width) x \(image.height) exceeds PNG's limit of \(limit) per side")
        }
        var output = tl_png_buffer()
        var message = [CChar](repeating: 0, count: Int(TL_PNG_MESSAGE_CAPACITY))
        defer { tl_png_buffer_free(&output) }
        let status: Int32
        if image.bitDepth == 16 {
            status = image.samples.withUnsafeBufferPointer { samples in
                tl_png_encode(
                    samples.baseAddress, UInt32(image.width), UInt32(image.height),
                    Int32(image.channels), 16, &output, &message)
            }
        } else {
            let bytes = image.samples.map { UInt8(truncatingIfNeeded: $0) }
            status = bytes.withUnsafeBufferPointer { samples in
                tl_png_encode(
                    samples.baseAddress, UInt32(image.width), UInt32(image.height),
                    Int32(image.channels), 8, &output, &message)
            }
        }
        guard status == TL_PNG_OK else {
            let reason = ImageError.text(of: message)
            if status == TL_PNG_INVALID_ARGUMENT { throw ImageError.invalidImage(reason: reason) }
            throw ImageError.unwritable(file: name, reason: reason)
        }
        return [UInt8](UnsafeBufferPointer(start: output.data, count: output.size))
    }
}
