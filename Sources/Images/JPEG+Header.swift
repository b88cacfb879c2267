import CJPEGCodec

extension JPEG {
    /// What a JPEG file's markers up to its first scan say, as libjpeg reads them.
    public struct Header: Equatable, Sendable {
        /// The colour space of the stored components, as libjpeg identifies it from the JFIF and Adobe
        /// markers and the component ids.
        public enum ColorSpace: String, Equatable, Sendable {
            case unknown, grayscale, rgb, yCbCr, cmyk, ycck
        }

        /// Columns (SOF's X).
        public var width: Int
        /// Rows (SOF's Y).
        public var height: Int
        /// Stored components: 1, 3 or 4.
        public var components: Int
        /// How the components are coded.
        public var colorSpace: ColorSpace
        /// Whether the file is progressive (SOF2).
        public var progressive: Bool
        /// The Adobe APP14 marker's transform flag (0: none/CMYK/RGB, 1: YCbCr, 2: YCCK), if the file has one.
        public var adobeTransform: Int?
        /// The EXIF Orientation tag (0x0112) of the first Exif APP1 segment, if any: 1 is upright, 6 means
        /// "rotate 90 degrees clockwise to display" (what `PIL.Image.getexif()[0x0112]` returns).
        /// ``JPEG/decode(_:name:mode:maximumPixels:maximumScans:)`` never applies it, as torchvision's
        /// `ImageFolder` never does.
        public var orientation: Int?
    }

    /// Reads the header of JPEG `bytes` without decoding samples.
    ///
    /// - Throws: ``ImageError`` naming `name` (`.notJPEG`, `.corrupt`, `.unsupported`).
    public static func header(of bytes: [UInt8], name: String) throws -> Header {
        var raw = tl_jpeg_header()
        var message = [CChar](repeating: 0, count: Int(TL_JPEG_MESSAGE_CAPACITY))
        let status = bytes.withUnsafeBufferPointer { buffer in
            tl_jpeg_read_header(buffer.baseAddress, buffer.count, &raw, &message)
        }
        guard status == TL_JPEG_OK else {
            throw ImageError(jpegStatus: status, file: name, message: message)
        }
        return Header(raw)
    }

    /// Reads the header of the JPEG file at `path`.
    ///
    /// - Throws: ``ImageError`` naming `path`.
    public static func header(path: String) throws -> Header {
        try header(of: readBytes(path), name: path)
    }
}

extension JPEG.Header {
    /// The header the C codec filled in.
    init(_ raw: tl_jpeg_header) {
        let spaces: [Int32: ColorSpace] = [
            TL_JPEG_COLOR_GRAYSCALE: .grayscale, TL_JPEG_COLOR_RGB: .rgb, TL_JPEG_COLOR_YCBCR: .yCbCr,
            TL_JPEG_COLOR_CMYK: .cmyk, TL_JPEG_COLOR_YCCK: .ycck,
        ]
        self.init(
            width: Int(raw.width), height: Int(raw.height), components: Int(raw.components),
            colorSpace: spaces[raw.color_space] ?? .unknown, progressive: raw.progressive != 0,
            adobeTransform: raw.adobe_transform < 0 ? nil : Int(raw.adobe_transform),
            orientation: raw.orientation < 0 ? nil : Int(raw.orientation))
    }
}
