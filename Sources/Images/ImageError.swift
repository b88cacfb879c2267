import CPNGCodec

/// Why an image could not be read, decoded, encoded or written; every message names the file.
///
/// `file` is the path (or the name given to ``PNG/decode(_:name:mode:maximumBytes:)``) of the
/// image at fault; `reason` is libpng's own message or a sentence that names the value at fault.
public enum ImageError: Error, Equatable, CustomStringConvertible {
    /// The file could not be opened or read.
    case unreadable(file: String, reason: String)
    /// The bytes are not PNG: empty, shorter than the signature, or the signature is missing.
    case notPNG(file: String, reason: String)
    /// libpng rejected the stream: a CRC mismatch in a critical chunk, bad zlib data, a truncated
    /// file, an invalid header, ...
    case corrupt(file: String, reason: String)
    /// The decoded samples would be larger than the allowed number of bytes; nothing was allocated.
    case tooLarge(file: String, reason: String)
    /// The PNG decodes to a sample layout this module does not represent.
    case unsupported(file: String, reason: String)
    /// Memory for the samples or for libpng could not be allocated.
    case outOfMemory(file: String, reason: String)
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
        case let .corrupt(file, reason):
            return "PNG file '\(file)' is corrupt: \(reason)"
        case let .tooLarge(file, reason):
            return "PNG file '\(file)' is too large to decode: \(reason)"
        case let .unsupported(file, reason):
            return "PNG file '\(file)' is not supported: \(reason)"
        case let .outOfMemory(file, reason):
            return "out of memory while processing PNG file '\(file)': \(reason)"
        case let .invalidImage(reason):
            return "invalid image: \(reason)"
        case let .unwritable(file, reason):
            return "cannot write image file '\(file)': \(reason)"
        }
    }
}

extension ImageError {
    /// Maps a decoding `TL_PNG_*` status and the C codec's message to an error naming `file`.
    init(status: Int32, file: String, message: [CChar]) {
        let reason = ImageError.text(of: message)
        switch status {
        case TL_PNG_NOT_PNG: self = .notPNG(file: file, reason: reason)
        case TL_PNG_TOO_LARGE: self = .tooLarge(file: file, reason: reason)
        case TL_PNG_UNSUPPORTED: self = .unsupported(file: file, reason: reason)
        case TL_PNG_OUT_OF_MEMORY: self = .outOfMemory(file: file, reason: reason)
        default: self = .corrupt(file: file, reason: reason)
        }
    }

    /// The NUL-terminated C string in `message` as a Swift string (invalid UTF-8 repaired).
    static func text(of message: [CChar]) -> String {
        String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
