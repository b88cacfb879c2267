import CJPEGCodec
import Foundation

/// JPEG decoding through libjpeg-turbo, giving what torchvision's `ImageFolder` loader gives:
/// `PIL.Image.open(f).convert("RGB")`.
///
/// Baseline and progressive files with 1 (gray), 3 (YCbCr or RGB) or 4 (CMYK or YCCK, taken as
/// Adobe-inverted as PIL does) 8-bit components decode with PIL's settings - libjpeg's accurate integer
/// IDCT and fancy upsampling - and PIL's CMYK -> RGB formula. Debian's libjpeg-turbo 2.1.5 gives the
/// samples of PIL 13's bundled 3.2.0 exactly on every committed fixture (`Fixtures/references/JPEG.md`
/// says what was measured, and why).
///
/// The EXIF orientation tag is **not** applied: PIL's `Image.open`, hence torchvision's `ImageFolder`,
/// returns the stored rows and columns, so a photo whose tag says "rotate 90 degrees" stays sideways
/// here as there. ``header(of:name:)`` reports the tag for callers that want to apply it
/// (`PIL.ImageOps.exif_transpose`).
///
/// A corrupt, truncated or non-JPEG input throws an ``ImageError`` naming the file, and libjpeg never
/// prints: its `longjmp` error reporting and its warnings are contained in the C target `CJPEGCodec`.
/// As in PIL (without `ImageFile.LOAD_TRUNCATED_IMAGES`), a file whose data ends before the image does -
/// including one that lacks only its final EOI marker - is an error ("image file is truncated"), while
/// damaged entropy-coded data that libjpeg recovers from with a warning decodes, as PIL decodes it.
public enum JPEG {
    /// The default cap on `width * height`: 178,956,970 pixels, PIL's decompression-bomb limit
    /// (`2 * PIL.Image.MAX_IMAGE_PIXELS`, above which `Image.open` raises `DecompressionBombError`).
    /// Larger images are refused after reading the header, before any sample memory is allocated.
    public static let maximumPixels = 178_956_970

    /// The default cap on the scans of a progressive file: 1,000. Encoders write about 10; a file with
    /// thousands of tiny scans makes libjpeg revisit every block once per scan (a known denial-of-service
    /// pattern; libjpeg-turbo's `djpeg -maxscans` and TurboJPEG's scan limit guard against it). PIL has
    /// no such limit.
    public static let maximumScans = 1000

    /// Decodes JPEG bytes into an 8-bit ``Image``.
    ///
    /// - Parameters:
    ///   - bytes: The whole JPEG file.
    ///   - name: The file name used in error messages.
    ///   - mode: The channels to return: `.rgb` as PIL's `convert("RGB")`; `.gray` as torchvision's
    ///     `decode_jpeg(mode=ImageReadMode.GRAY)`; `.unchanged` gray for gray files, RGB otherwise.
    ///   - maximumPixels: The largest `width * height` accepted.
    ///   - maximumScans: The most scans a progressive file may have (0: no limit).
    /// - Returns: HWC samples, bit depth 8, 1 or 3 channels.
    /// - Throws: ``ImageError`` naming `name`: `.notJPEG`, `.corrupt` (including truncation),
    ///   `.tooLarge`, `.unsupported` or `.outOfMemory`.
    public static func decode(
        _ bytes: [UInt8], name: String, mode: ImageReadMode = .unchanged,
        maximumPixels: Int = JPEG.maximumPixels, maximumScans: Int = JPEG.maximumScans
    ) throws -> Image {
        var raw = tl_jpeg_image()
        var message = [CChar](repeating: 0, count: Int(TL_JPEG_MESSAGE_CAPACITY))
        let status = bytes.withUnsafeBufferPointer { buffer in
            tl_jpeg_decode(
                buffer.baseAddress, buffer.count, mode.jpegCode, UInt64(max(0, maximumPixels)),
                Int32(clamping: max(0, maximumScans)), &raw, &message)
        }
        defer { tl_jpeg_image_free(&raw) }
        guard status == TL_JPEG_OK else {
            throw ImageError(jpegStatus: status, file: name, message: message)
        }
        guard let data = raw.data else {
            throw ImageError.outOfMemory(file: name, format: .jpeg, reason: "the decoder returned no samples")
        }
        let samples = [UInt16](unsafeUninitializedCapacity: raw.size) { buffer, count in
            for index in 0..<raw.size {
                buffer[index] = UInt16(data[index])
            }
            count = raw.size
        }
        return try Image(
            width: Int(raw.header.width), height: Int(raw.header.height), channels: Int(raw.channels),
            bitDepth: 8, samples: samples)
    }

    /// Reads and decodes the JPEG file at `path`; `.rgb` (the default) gives what torchvision's
    /// `ImageFolder` loader gives, `PIL.Image.open(path).convert("RGB")`.
    ///
    /// - Throws: ``ImageError`` naming `path`.
    public static func read(path: String, mode: ImageReadMode = .rgb) throws -> Image {
        try decode(readBytes(path), name: path, mode: mode)
    }

    /// The bytes of the file at `path`.
    static func readBytes(_ path: String) throws -> [UInt8] {
        try ImageFile.readBytes(path: path)
    }

    /// The version of libjpeg-turbo's headers this module was built with, e.g. "2.1.5" (`nil` when the
    /// library is another libjpeg).
    public static var libraryVersion: String? {
        let number = Int(tl_jpeg_library_version())
        guard number > 0 else { return nil }
        return "\(number / 1_000_000).\(number / 1000 % 1000).\(number % 1000)"
    }
}
