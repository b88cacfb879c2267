/// The encoded formats this module decodes, recognised by their first bytes (not by the file name).
public enum ImageFormat: String, Sendable, CaseIterable {
    /// PNG: the 8-byte signature 89 50 4E 47 0D 0A 1A 0A.
    case png = "PNG"
    /// JPEG (JFIF, EXIF, Adobe): SOI (FF D8) followed by a marker's FF, PIL's `JpegImagePlugin._accept`.
    case jpeg = "JPEG"

    /// The format whose signature `bytes` start with, or `nil` when they start with neither.
    public init?(signatureOf bytes: some Collection<UInt8>) {
        if bytes.starts(with: ImageFormat.pngSignature) {
            self = .png
        } else if bytes.starts(with: ImageFormat.jpegSignature) {
            self = .jpeg
        } else {
            return nil
        }
    }

    /// The PNG file signature.
    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    /// The start of every JPEG file: the SOI marker and the first byte of the next marker.
    static let jpegSignature: [UInt8] = [0xFF, 0xD8, 0xFF]
}
