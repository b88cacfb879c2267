import CJPEGCodec
import CPNGCodec

/// Why an image could not be read, decoded, encoded or written; every message names the file.
///
/// `file` is the path (or the name given to ``PNG/decode(_:name:mode:maximumBytes:)`` or
/// ``JPEG/decode(_:name:mode:maximumPixels:maximumScans:)``) of the image at fault; `format` is the
/// format it was decoded as; `reason` is libpng's or libjpeg's own message or a sentence that names the
/// value at fault.
public enum ImageError: Error, Equatable, CustomStringConvertible {
    /// The file could not be opened or read.
    case unreadable(file: String, reason: String)
    /// The bytes are not PNG: empty, shorter than the signature, or the signature is missing.
    case notPNG(file: String, reason: String)
    /// The bytes are not JPEG: empty, shorter than 3 bytes, or they do not start with FF D8 FF.
    case notJPEG(file: String, reason: String)
    /// The decoder rejected the stream. PNG: a CRC mismatch in a critical chunk, bad zlib data, a
    /// truncated file, an invalid header... JPEG: a truncated file (the reason starts with "image file
    /// is truncated", PIL's words), a bad marker, header or Huffman table.
    case corrupt(file: String, format: ImageFormat, reason: String)
    /// The image exceeds a decoding limit (decoded bytes for PNG; pixels or progressive scans for JPEG);
    /// nothing was allocated for its samples.
    case tooLarge(file: String, format: ImageFormat, reason: String)
    /// A valid file that decodes to a layout this module does not represent (e.g. a 12-bit JPEG).
    case unsupported(file: String, format: ImageFormat, reason: String)
    /// Memory for the samples or for the decoder could not be allocated.
    case outOfMemory(file: String, format: ImageFormat, reason: String)
    /// An ``Image`` whose fields disagree (sample count, channels, bit depth or a sample value).
    case invalidImage(reason: String)
    /// The encoded PNG could not be written to `file`.
    case unwritable(file: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(file, reason):
            return "cannot read image file '\(file)': \(reason)"
        case let .notPNG(file, reason):
            return "'\(file)' is not a PNG file: \(reason)"
        case let .notJPEG(file, reason):
            return "'\(file)' is not a JPEG file: \(reason)"
        case let .corrupt(file, format, reason):
            return "\(format.rawValue) file '\(file)' is corrupt: \(reason)"
        case let .tooLarge(file, format, reason):
            return "\(format.rawValue) file '\(file)' is too large to decode: \(reason)"
        case let .unsupported(file, format, reason):
            return "\(format.rawValue) file '\(file)' is not supported: \(reason)"
        case let .outOfMemory(file, format, reason):
            return "out of memory while processing \(format.rawValue) file '\(file)': \(reason)"
        case let .invalidImage(reason):
            return "invalid image: \(reason)"
        case let .unwritable(file, reason):
            return "cannot write image file '\(file)': \(reason)"
        }
    }
}

extension ImageError {
    /// Maps a decoding `TL_PNG_*` status and the C codec's message to an error naming `file`.
    init(pngStatus status: Int32, file: String, message: [CChar]) {
        let reason = ImageError.text(of: message)
        switch status {
        case TL_PNG_NOT_PNG: self = .notPNG(file: file, reason: reason)
        case TL_PNG_TOO_LARGE: self = .tooLarge(file: file, format: .png, reason: reason)
        case TL_PNG_UNSUPPORTED: self = .unsupported(file: file, format: .png, reason: reason)
        case TL_PNG_OUT_OF_MEMORY: self = .outOfMemory(file: file, format: .png, reason: reason)
        default: self = .corrupt(file: file, format: .png, reason: reason)
        }
    }

    /// Maps a `TL_JPEG_*` status and the C codec's message to an error naming `file`; a truncated file
    /// is ``corrupt(file:format:reason:)``, as PIL raises `OSError("image file is truncated")`.
    init(jpegStatus status: Int32, file: String, message: [CChar]) {
        let reason = ImageError.text(of: message)
        switch status {
        case TL_JPEG_NOT_JPEG: self = .notJPEG(file: file, reason: reason)
        case TL_JPEG_TOO_LARGE: self = .tooLarge(file: file, format: .jpeg, reason: reason)
        case TL_JPEG_UNSUPPORTED: self = .unsupported(file: file, format: .jpeg, reason: reason)
        case TL_JPEG_OUT_OF_MEMORY: self = .outOfMemory(file: file, format: .jpeg, reason: reason)
        default: self = .corrupt(file: file, format: .jpeg, reason: reason)
        }
    }

    /// The NUL-terminated C string in `message` as a Swift string (invalid UTF-8 repaired).
    static func text(of message: [CChar]) -> String {
        String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
