import Foundation
import Golden
import HDF5
import Images
import TestSupport
import Testing

/// Every fixture, in every read mode, against torchvision.io.read_image (exact integers).
@Suite("PNG decoding matches torchvision")
struct PNGDecodeTests {
    @Test("the fixture folder and expected.h5 list the same decodable files")
    func fixtureListsAgree() throws {
        let file = try PNGFixtures.expected()
        let recorded = try file.root.group("images").groupNames().sorted()
        #expect(recorded == PNGFixtures.decodable)
        #expect(PNGFixtures.decodable.count >= 28)
        #expect(try file.root.group("errors").groupNames().sorted() == PNGFixtures.refused)
    }

    @Test("read(path:mode:) gives torchvision's samples in every mode", arguments: PNGFixtures.decodable)
    func decodesLikeTorchvision(name: String) throws {
        let result = try PNGFixtures.references().replayDecodable(name)
        // Per mode: the shape, every sample and the bit depth.
        #expect(result.count == 3 * ImageReadMode.allCases.count)
        expectPassed(result)
    }

    @Test("read(path:) defaults to RGB, as read_image(path, ImageReadMode.RGB)")
    func defaultModeIsRGB() throws {
        let path = PNGFixtures.path("rgba8")
        #expect(try PNG.read(path: path) == (try PNG.read(path: path, mode: .rgb)))
        #expect(try PNG.read(path: path).channels == 3)
    }

    @Test("decode(_:name:) keeps the file's channels after palette and low-depth expansion")
    func decodeKeepsFileChannels() throws {
        let channels = [
            "gray1": 1, "gray4": 1, "gray_alpha8": 2, "palette4": 3, "palette8_trns": 4, "rgb16": 3,
            "rgba16_interlaced": 4,
        ]
        for (name, count) in channels {
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: PNGFixtures.path(name))))
            #expect(try PNG.decode(bytes, name: name).channels == count, "\(name).png channels")
        }
    }

    @Test("gAMA and sRGB chunks leave the stored samples alone (no gamma correction)")
    func gammaChunksAreIgnored() throws {
        for name in ["rgb8_gamma", "gray16_srgb"] {
            let group = try PNGFixtures.expected().root.group("images/" + name)
            let image = try PNG.read(path: PNGFixtures.path(name), mode: .unchanged)
            expectSamples(image, equal: try group.read("unchanged", as: Int64.self), "\(name).png")
        }
    }

    @Test("toCHWFloat() equals to_dtype(read_image(path), float32, scale=True)", arguments: ["rgb8", "rgb16"])
    func floatConversionMatchesTorchvision(name: String) throws {
        let expected = try PNGFixtures.expected().root.read("images/\(name)/rgb_float", as: Float.self, rank: 3)
        let (shape, values) = try PNG.read(path: PNGFixtures.path(name)).toCHWFloat()
        try #require(shape == expected.shape)
        let mismatch = values.indices.first { values[$0] != expected.values[$0] }
        #expect(mismatch == nil, "\(name).png CHW float differs at flat index \(mismatch ?? -1)")
    }
}
