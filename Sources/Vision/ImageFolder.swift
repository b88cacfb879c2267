import Foundation
import Images

/// A dataset of images sorted into one sub-folder per class, like `torchvision.datasets.ImageFolder`:
///
///     root/Cat/001.png
///     root/Cat/nested/002.png
///     root/dog/003.png
///
/// Classes are the sub-folder names sorted by Unicode code point (Python's `sorted()`, so "Cat" < "bird" < "dog"),
/// numbered from 0. Samples are found as torchvision's `make_dataset` does: class by class, walking each class
/// folder (following symbolic links) with the walked folders sorted by path and the files of each sorted by name,
/// keeping files whose extension is one of ``imageExtensions`` (any case). PNG and JPEG files are decoded (chosen
/// by their first bytes, not their names); the other formats torchvision lists (PPM, BMP, PGM, TIFF, WebP) are
/// listed too, and ``loadImage(at:)`` reports them as unsupported.
public struct ImageFolder: Sendable {
    /// One image and its class.
    public struct Sample: Equatable, Sendable {
        /// The file's path: the root joined with the class folder and the path inside it.
        public let path: String
        /// The index of the class in ``ImageFolder/classes``.
        public let classIndex: Int
    }

    /// torchvision's `IMG_EXTENSIONS`, matched case-insensitively against the end of the file name.
    public static let imageExtensions = [".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp"]

    /// The root folder as given.
    public let root: String
    /// The class names (sub-folders of the root), sorted by code point; a class's index is its position.
    public let classes: [String]
    /// The index of each class name (`class_to_idx`).
    public let classToIndex: [String: Int]
    /// Every image, class by class, in torchvision's order.
    public let samples: [Sample]

    /// The class index of every sample, in order (`targets`).
    public var targets: [Int] { samples.map(\.classIndex) }

    /// The number of samples (`len(dataset)`).
    public var count: Int { samples.count }

    /// Scans `root`.
    ///
    /// - Parameter allowEmpty: Accept class folders without images (torchvision's `allow_empty`).
    /// - Throws: ``VisionError/rootNotFound(path:)``, ``VisionError/notADirectory(path:)``,
    ///   ``VisionError/noClassFolders(root:)``, or ``VisionError/emptyClasses(root:classes:)`` naming every
    ///   class folder without an image file.
    public init(root: String, allowEmpty: Bool = false) throws {
        let directory = NSString(string: root).expandingTildeInPath
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            throw VisionError.rootNotFound(path: root)
        }
        guard isDirectory.boolValue else { throw VisionError.notADirectory(path: root) }
        if let name = ImageFolder.undecodableName(in: directory) {
            throw VisionError.undecodableName(folder: root, name: name)
        }
        let classes = ImageFolder.listing(directory).directories.sorted(by: ImageFolder.codePointOrder)
        guard !classes.isEmpty else { throw VisionError.noClassFolders(root: root) }
        var samples: [Sample] = []
        var emptyClasses: [String] = []
        for (index, name) in classes.enumerated() {
            let folder = ImageFolder.join(directory, name)
            if let bad = ImageFolder.undecodableName(in: folder) {
                throw VisionError.undecodableName(folder: ImageFolder.join(root, name), name: bad)
            }
            let files = ImageFolder.imageFiles(under: folder)
            if files.isEmpty { emptyClasses.append(name) }
            samples += files.map { Sample(path: $0, classIndex: index) }
        }
        if !emptyClasses.isEmpty && !allowEmpty {
            throw VisionError.emptyClasses(root: root, classes: emptyClasses)
        }
        self.root = root
        self.classes = classes
        classToIndex = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        self.samples = samples
    }

    /// Decodes sample `index` as an 8-bit (or 16-bit) RGB image, the channels torchvision's loader gives
    /// (`Image.open(f).convert("RGB")`: gray replicated, palette expanded, alpha dropped, CMYK converted by PIL's
    /// formula). A JPEG's EXIF orientation is not applied, as torchvision's loader does not apply it.
    ///
    /// - Throws: ``VisionError/unsupportedImageFormat(path:reason:)`` for an image file that is neither PNG nor
    ///   JPEG, ``VisionError/unreadableImage(path:error:)`` for a file that cannot be read or decoded.
    public func loadImage(at index: Int) throws -> Image {
        try ImageFolder.loadImage(path: samples[index].path)
    }

    /// Decodes the image file at `path` as RGB (see ``loadImage(at:)``).
    ///
    /// The format is chosen by the file's signature, as PIL's `Image.open` does, so a PNG named `.jpg` or a JPEG
    /// named `.png` decodes; only when the first bytes match no known signature does the extension decide which
    /// decoder reports what is wrong (an empty `photo.jpg` is a JPEG error, "the file is empty").
    public static func loadImage(path: String) throws -> Image {
        let bytes: [UInt8]
        do {
            bytes = try ImageFile.readBytes(path: path)
        } catch let error as ImageError {
            throw VisionError.unreadableImage(path: path, error: error)
        }
        let format: ImageFormat
        if let signed = ImageFormat(signatureOf: bytes) {
            format = signed
        } else if let other = ImageFolder.otherFormat(of: bytes) {
            throw VisionError.unsupportedImageFormat(
                path: path, reason: "it is a \(other) file, and only PNG and JPEG files can be decoded")
        } else if let named = ImageFolder.formatByExtension(of: path) {
            format = named
        } else {
            throw VisionError.unsupportedImageFormat(
                path: path,
                reason: "its first bytes are not a PNG or JPEG signature, and only PNG and JPEG files "
                    + "can be decoded")
        }
        do {
            switch format {
            case .png: return try PNG.decode(bytes, name: path, mode: .rgb)
            case .jpeg: return try JPEG.decode(bytes, name: path, mode: .rgb)
            }
        } catch let error as ImageError {
            throw VisionError.unreadableImage(path: path, error: error)
        }
    }

    /// The decodable format a file name's extension names (`.png`, `.jpg`, `.jpeg`, any case), if any.
    static func formatByExtension(of path: String) -> ImageFormat? {
        let lowered = path.lowercased()
        if lowered.hasSuffix(".png") { return .png }
        if lowered.hasSuffix(".jpg") || lowered.hasSuffix(".jpeg") { return .jpeg }
        return nil
    }

    /// The name of an image format this module does not decode, recognised by its first bytes, if any.
    static func otherFormat(of bytes: [UInt8]) -> String? {
        let signatures: [(String, [UInt8])] = [
            ("BMP", [0x42, 0x4D]), ("TIFF", [0x49, 0x49, 0x2A, 0x00]),
            ("TIFF", [0x4D, 0x4D, 0x00, 0x2A]), ("WebP", [0x52, 0x49, 0x46, 0x46]),
        ]
        if let (format, _) = signatures.first(where: { bytes.starts(with: $0.1) }) { return format }
        if bytes.count >= 2, bytes[0] == 0x50, (0x31...0x36).contains(bytes[1]) { return "PNM (PPM/PGM)" }
        return nil
    }
}
