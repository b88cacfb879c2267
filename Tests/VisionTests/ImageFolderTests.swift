import Foundation
import Images
import Testing
import Vision

/// ImageFolder against torchvision's ImageFolder on the same trees (Fixtures/testdata/imagefolder/expected.json).
@Suite("ImageFolder matches torchvision")
struct ImageFolderTests {
    static let valid = VisionFixtures.validRoot
    static let errors = VisionFixtures.folders + "/errors"

    @Test("classes, class indices and samples are torchvision's, in its order")
    func validTree() throws {
        let dataset = try ImageFolder(root: ImageFolderTests.valid)
        let classes = try #require(VisionFixtures.expectedValue("valid", "classes") as? [String])
        let classToIndex = try #require(VisionFixtures.expectedValue("valid", "class_to_idx") as? [String: Int])
        let samples = try #require(VisionFixtures.expectedValue("valid", "samples") as? [[Any]])
        #expect(dataset.classes == classes)
        #expect(dataset.classToIndex == classToIndex)
        let actual = dataset.samples.map { "\($0.path.dropFirst(ImageFolderTests.valid.count + 1)) \($0.classIndex)" }
        #expect(actual == samples.map { "\($0[0]) \($0[1])" })
        #expect(dataset.targets == samples.map { $0[1] as? Int ?? -1 })
    }

    @Test("every valid sample decodes to an RGB image")
    func loadsEverySample() throws {
        let dataset = try ImageFolder(root: ImageFolderTests.valid)
        for index in 0..<dataset.count {
            let image = try dataset.loadImage(at: index)
            #expect(image.channels == 3, "\(dataset.samples[index].path)")
        }
    }

    @Test("a trailing slash on the root gives the same samples")
    func trailingSlash() throws {
        let plain = try ImageFolder(root: ImageFolderTests.valid)
        let slashed = try ImageFolder(root: ImageFolderTests.valid + "/")
        #expect(slashed.samples == plain.samples)
    }

    @Test("a class folder without images is refused, naming the class, as torchvision does")
    func emptyClass() throws {
        let root = ImageFolderTests.errors + "/empty_class"
        let message = try #require(VisionFixtures.expectedValue("errors", "empty_class", "message") as? String)
        #expect(message.hasPrefix("Found no valid file for the classes b."))
        #expect(throws: VisionError.emptyClasses(root: root, classes: ["b"])) { try ImageFolder(root: root) }
        let allowed = try ImageFolder(root: root, allowEmpty: true)
        #expect(allowed.classes == ["a", "b"] && allowed.count == 1)
    }

    @Test("a root without class folders, a missing root and a file as root are refused, naming the path")
    func badRoots() throws {
        let noClasses = ImageFolderTests.errors + "/no_classes"
        #expect(VisionFixtures.expectedValue("errors", "no_classes", "exception") as? String == "FileNotFoundError")
        #expect(throws: VisionError.noClassFolders(root: noClasses)) { try ImageFolder(root: noClasses) }
        let missing = ImageFolderTests.errors + "/does_not_exist"
        #expect(throws: VisionError.rootNotFound(path: missing)) { try ImageFolder(root: missing) }
        let file = noClasses + "/README.txt"
        #expect(throws: VisionError.notADirectory(path: file)) { try ImageFolder(root: file) }
        #expect(VisionError.rootNotFound(path: missing).description.contains(missing))
    }

    @Test("a truly empty class folder is reported like one holding only other files")
    func emptyFolderOnDisk() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("vision-empty-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/zebra", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/ant", withIntermediateDirectories: true)
        #expect(throws: VisionError.emptyClasses(root: root, classes: ["ant", "zebra"])) {
            try ImageFolder(root: root)
        }
    }

    @Test("symbolic links to folders are followed, and a link cycle is walked once")
    func symbolicLinks() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("vision-links-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let files = FileManager.default
        try files.createDirectory(atPath: root + "/real/inner", withIntermediateDirectories: true)
        try files.copyItem(atPath: ImageFolderTests.valid + "/bird/a.png", toPath: root + "/real/inner/a.png")
        try files.createSymbolicLink(atPath: root + "/linked", withDestinationPath: root + "/real")
        try files.createSymbolicLink(atPath: root + "/real/inner/loop", withDestinationPath: root + "/real")
        let dataset = try ImageFolder(root: root)
        #expect(dataset.classes == ["linked", "real"])
        #expect(dataset.samples.map(\.path) == [root + "/linked/inner/a.png", root + "/real/inner/a.png"])
    }

    @Test("corrupt and JPEG images are listed like torchvision; the JPEG decodes, the corrupt PNG names the file")
    func corruptTree() throws {
        let root = ImageFolderTests.errors + "/corrupt"
        let dataset = try ImageFolder(root: root)
        let loads = try #require(VisionFixtures.expectedValue("corrupt", "loads") as? [[String: Any]])
        let relative = dataset.samples.map { String($0.path.dropFirst(root.count + 1)) }
        #expect(relative == loads.map { $0["path"] as? String ?? "" })
        for (index, sample) in dataset.samples.enumerated() {
            let torchvision = loads[index]["torchvision"] as? String ?? ""
            switch sample.path.split(separator: "/").last {
            case "truncated.png":
                #expect(torchvision.hasPrefix("OSError"))
                #expect {
                    try dataset.loadImage(at: index)
                } throws: { error in
                    guard case let .unreadableImage(path, _)? = error as? VisionError else { return false }
                    return path == sample.path && "\(error)".contains(sample.path)
                }
            case "photo.jpg":
                #expect(torchvision == "decoded RGB 6x6")
                let image = try dataset.loadImage(at: index)
                #expect(image.width == 6 && image.height == 6 && image.channels == 3)
            default:
                #expect(torchvision.hasPrefix("decoded"))
                #expect(try dataset.loadImage(at: index).channels == 3)
            }
        }
    }
}
