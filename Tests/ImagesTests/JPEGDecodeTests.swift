import Foundation
import Golden
import HDF5
import Images
import TestSupport
import Testing

/// Every JPEG fixture against PIL's `Image.open(f).convert("RGB")` (what torchvision's ImageFolder loader returns)
/// and torchvision's `decode_jpeg` for the gray and unchanged modes: exact integers.
@Suite("JPEG decoding matches PIL")
struct JPEGDecodeTests {
    @Test("the fixture folder and expected.h5 list the same files")
    func fixtureListsAgree() throws {
        let file = try JPEGFixtures.expected()
        #expect(try file.root.group("images").groupNames().sorted() == JPEGFixtures.decodable)
        #expect(try file.root.group("errors").groupNames().sorted() == JPEGFixtures.refused)
        #expect(JPEGFixtures.decodable.count >= 21)
        #expect(JPEGFixtures.refused.count >= 12)
    }

    @Test("read(path:mode:) gives PIL's RGB and torchvision's gray", arguments: JPEGFixtures.decodable)
    func decodesLikePIL(name: String) throws {
        let result = try JPEGFixtures.references().replayDecodable(name)
        // Per mode: the shape, every sample and the bit depth.
        #expect(result.count == 3 * ImageReadMode.allCases.count)
        expectPassed(result)
    }

    @Test(
        "the header reports what PIL reports: progressive, Adobe transform, EXIF orientation",
        arguments: JPEGFixtures.decodable)
    func headerMatchesPIL(name: String) throws {
        let group = try JPEGFixtures.group("images/" + name)
        let header = try JPEG.header(path: JPEGFixtures.path(name))
        let rgb = try group.read("rgb", as: Int64.self, rank: 3)
        #expect([header.height, header.width] == Array(rgb.shape.prefix(2)))
        #expect(header.progressive == (try PNGFixtures.integer(group, "progressive") == 1), "\(name)")
        #expect((header.adobeTransform ?? -1) == (try PNGFixtures.integer(group, "adobe_transform")), "\(name)")
        #expect((header.orientation ?? -1) == (try PNGFixtures.integer(group, "orientation")), "\(name)")
        let components = ["L": 1, "RGB": 3, "CMYK": 4]
        #expect(header.components == components[try PNGFixtures.string(group, "pil_mode")], "\(name)")
    }

    @Test("libjpeg identifies each colour space the fixtures were made with")
    func colorSpaces() throws {
        let expected: [String: JPEG.Header.ColorSpace] = [
            "rgb420_64x48": .yCbCr, "gray_64x48": .grayscale, "cmyk_64x48": .cmyk, "ycck_23x17": .ycck,
            "rgb_no_transform_23x17": .rgb, "progressive420_64x48": .yCbCr,
        ]
        for (name, space) in expected {
            #expect(try JPEG.header(path: JPEGFixtures.path(name)).colorSpace == space, "\(name).jpg")
        }
    }

    @Test("the EXIF orientation is reported but not applied, as in PIL's Image.open and torchvision's ImageFolder")
    func orientationIsNotApplied() throws {
        let path = JPEGFixtures.path("exif_orientation6_64x48")
        #expect(try JPEG.header(path: path).orientation == 6)
        let image = try JPEG.read(path: path)
        #expect(image.width == 64 && image.height == 48, "\(image.width) x \(image.height)")
        #expect(try JPEG.header(path: JPEGFixtures.path("rgb420_64x48")).orientation == nil)
    }

    @Test("read(path:) defaults to RGB; decode(_:name:) keeps gray files' single channel")
    func defaultModes() throws {
        let gray = JPEGFixtures.path("gray_64x48")
        #expect(try JPEG.read(path: gray) == (try JPEG.read(path: gray, mode: .rgb)))
        #expect(try JPEG.read(path: gray).channels == 3)
        #expect(try JPEG.decode(JPEGFixtures.bytes("gray_64x48"), name: "gray").channels == 1)
        #expect(try JPEG.decode(JPEGFixtures.bytes("cmyk_64x48"), name: "cmyk").channels == 3)
    }

    @Test("damaged entropy-coded data decodes to PIL's (different) samples, not to an error")
    func damagedScanDecodes() throws {
        let damaged = try JPEG.read(path: JPEGFixtures.path("damaged_scan"))
        #expect(damaged != (try JPEG.read(path: JPEGFixtures.path("rgb420_64x48"))))
    }

    @Test("the module is built against libjpeg-turbo")
    func libraryVersion() {
        #expect(JPEG.libraryVersion?.split(separator: ".").count == 3)
    }
}
