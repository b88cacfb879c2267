import CPNGCodec
import Foundation

/// PNG decoding and encoding through libpng (`torchvision.io.decode_png` / `encode_png`).
///
/// A corrupt, truncated or non-PNG input throws an ``ImageError`` naming the file; libpng's
/// `longjmp` error reporting is contained in the C target `CPNGCodec`. Samples are the stored
/// values: no gamma correction is applied for gAMA, sRGB or iCCP chunks (as in torchvision).
/// CRC errors follow libpng's default: an error in a critical chunk (IHDR, PLTE, IDAT), a
/// discarded chunk in an ancillary one. As in torchvision, reading stops after the last row, so a
/// missing or damaged IEND and trailing bytes are accepted. libpng's default limit of 1,000,000
/// rows or columns also applies.
public enum PNG {
    /// The default cap on decoded sample bytes (`height * width * channels * bytesPerSample`):
    /// 2^31 bytes. Larger images are refused before any sample memory is allocated.
    public static let maximumDecodedBytes = 1 << 31

    /// Decodes PNG bytes into an ``Image``.
    ///
    /// - Parameters:
    ///   - bytes: The whole PNG file.
    ///   - name: The file name used in error messages.
    ///   - mode: The channels to return; `.unchanged` keeps the file's channels (after palette and
    ///     low bit depth expansion).
    ///   - maximumBytes: The largest decoded size accepted, in bytes.
    /// - Returns: HWC samples, 8-bit for files of bit depth 1...8, 16-bit for 16-bit files.
    /// - Throws: ``ImageError`` naming `name`.
    public static func decode(
        _ bytes: [UInt8], name: String, mode: ImageReadMode = .unchanged,
        maximumBytes: Int = PNG.maximumDecodedBytes
    ) throws -> Image {
        var raw = tl_png_image()
        var message = [CChar](repeating: 0, count: Int(TL_PNG_MESSAGE_CAPACITY))
        let status = bytes.withUnsafeBufferPointer { buffer in
            tl_png_decode(
                buffer.baseAddress, buffer.count, mode.code, UInt64(max(0, maximumBytes)),
                &raw, &message)
        }
        defer { tl_png_image_free(&raw) }
        guard status == TL_PNG_OK else {
            throw ImageError(pngStatus: status, file: name, message: message)
        }
        let count = raw.size / (raw.bit_depth == 16 ? 2 : 1)
        var samples = [UInt16](repeating: 0, count: count)
        if raw.bit_depth == 16 {
            samples.withUnsafeMutableBytes {
                $0.copyMemory(from: UnsafeRawBufferPointer(start: raw.data, count: raw.size))
            }
        } else {
            for index in 0..<count {
                samples[index] = UInt16(raw.data[index])
            }
        }
        return try Image(
            width: Int(raw.width), height: Int(raw.height), channels: Int(raw.channels),
            bitDepth: Int(raw.bit_depth), samples: samples)
    }

    /// Reads and decodes the PNG file at `path`; mirrors `torchvision.io.read_image(path, mode)`.
    ///
    /// - Parameters:
    ///   - path: The file to read.
    ///   - mode: `.rgb` (default) gives 3 channels, `.gray` 1, `.unchanged` the file's own.
    /// - Throws: ``ImageError`` naming `path`.
    public static func read(path: String, mode: ImageReadMode = .rgb) throws -> Image {
        try decode(ImageFile.readBytes(path: path), name: path, mode: mode)
    }
}
