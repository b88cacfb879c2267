import Foundation
import Golden
import HDF5
import Images
import Testing
import Vision

/// ImageFolder and DataLoader on the JPEG tree of Fixtures/testdata/jpeg/folder, against torchvision's ImageFolder
/// with its PIL loader (the `/folder` groups of Fixtures/testdata/jpeg/expected.h5).
@Suite("ImageFolder reads JPEG like torchvision")
struct ImageFolderJPEGTests {
    static let root = PackagePaths.file("Fixtures/testdata/jpeg/folder")
    static let expected = PackagePaths.file("Fixtures/testdata/jpeg/expected.h5")

    /// The recorded group of the sample at `relative` (e.g. "a/photo.jpg").
    static func reference(_ relative: String) throws -> HDF5Group {
        try HDF5File(path: expected).root.group("folder/" + relative)
    }

    /// The sample paths relative to the root.
    static func relativePaths(_ dataset: ImageFolder) -> [String] {
        dataset.samples.map { String($0.path.dropFirst(root.count + 1)) }
    }

    @Test("samples are torchvision's; each file PIL decodes decodes to PIL's RGB, by signature, whatever its name")
    func loadsLikeTorchvision() throws {
        let dataset = try ImageFolder(root: ImageFolderJPEGTests.root)
        let relative = ImageFolderJPEGTests.relativePaths(dataset)
        #expect(
            relative == ["a/photo.jpg", "a/truncated.jpg", "b/empty.jpeg", "b/jpeg_inside.png", "b/png_inside.jpg"])
        for (index, path) in relative.enumerated() {
            let group = try ImageFolderJPEGTests.reference(path)
            #expect(try group.int("index") == index && group.int("class_index") == dataset.targets[index], "\(path)")
            let torchvision = try group.string("torchvision")
            guard torchvision.hasPrefix("decoded") else {
                #expect {
                    try dataset.loadImage(at: index)
                } throws: { error in
                    guard case let .unreadableImage(file, _)? = error as? VisionError else { return false }
                    return file == dataset.samples[index].path && "\(error)".contains(file)
                }
                continue
            }
            let image = try dataset.loadImage(at: index)
            let rgb = try group.read("rgb", as: Int64.self, rank: 3)
            #expect([image.height, image.width, image.channels] == rgb.shape, "\(path)")
            #expect(image.samples.map { Int64($0) } == rgb.values, "\(path) differs from PIL's convert('RGB')")
        }
    }

    @Test("the truncated and the empty JPEG say why, in PIL's words where PIL has them")
    func badFilesSayWhy() throws {
        let truncated = ImageFolderJPEGTests.root + "/a/truncated.jpg"
        let error = #expect(throws: VisionError.self) { try ImageFolder.loadImage(path: truncated) }
        #expect(error?.description.contains("JPEG file '\(truncated)' is corrupt: image file is truncated") == true)
        #expect(try ImageFolderJPEGTests.reference("a/truncated.jpg").string("torchvision").contains("truncated"))
        let empty = ImageFolderJPEGTests.root + "/b/empty.jpeg"
        #expect(
            throws: VisionError.unreadableImage(
                path: empty, error: .notJPEG(file: empty, reason: "the file is empty"))
        ) {
            try ImageFolder.loadImage(path: empty)
        }
    }

    @Test("other formats torchvision lists stay unsupported, named in the message")
    func otherFormatsUnsupported() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("jpeg-other-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let bmp = folder.appendingPathComponent("x.bmp").path
        try Data([0x42, 0x4D, 0, 0, 0, 0]).write(to: URL(fileURLWithPath: bmp))
        #expect(
            throws: VisionError.unsupportedImageFormat(
                path: bmp, reason: "it is a BMP file, and only PNG and JPEG files can be decoded")
        ) {
            try ImageFolder.loadImage(path: bmp)
        }
        #expect(
            ImageFolder.imageExtensions == [".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp"])
    }

    @Test("skipBadFiles leaves the truncated and the empty JPEG out, each named, and loads the rest")
    func skipBadJPEGs() throws {
        let root = ImageFolderJPEGTests.root
        let resize: any ImageTransform = Compose([ToTensor(), Resize(height: 8, width: 8)])
        let loader = DataLoader(try ImageFolder(root: root), batchSize: 5, transform: resize, skipBadFiles: true)
        let batches = try loader.map { try $0.get() }
        #expect(batches.map(\.indices) == [[0, 3, 4]])
        #expect(loader.skippedFiles == [root + "/a/truncated.jpg", root + "/b/empty.jpeg"])
        let reasons = batches.flatMap(\.skipped).map(\.description)
        #expect(reasons.count == 2 && reasons[0].contains("truncated.jpg") && reasons[1].contains("empty.jpeg"))
        #expect(reasons.first?.contains("image file is truncated") == true, "\(reasons)")
    }
}
