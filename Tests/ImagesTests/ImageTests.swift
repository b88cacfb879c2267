import Images
import Testing

/// The Image value type: validation, indexing, and the CHW float conversion.
@Suite("Image")
struct ImageTests {
    @Test("init refuses fields that disagree, naming the value at fault")
    func validation() {
        let cases: [(Int, Int, Int, Int, [UInt16], String)] = [
            (2, 2, 3, 8, [0, 1], "2 samples for shape [H: 2, W: 2, C: 3]"),
            (2, 2, 5, 8, [], "channels is 5, expected 1...4"),
            (1, 1, 1, 12, [0], "bitDepth is 12, expected 8 or 16"),
            (0, 3, 1, 8, [], "size 0 x 3 is not positive"),
            (1, 2, 1, 8, [7, 300], "sample 1 is 300, above 255 for an 8-bit image"),
        ]
        for (width, height, channels, bitDepth, samples, reason) in cases {
            #expect(throws: ImageError.invalidImage(reason: reason)) {
                try Image(width: width, height: height, channels: channels, bitDepth: bitDepth, samples: samples)
            }
        }
    }

    @Test("encode re-checks an image whose fields were changed after init")
    func encodeRevalidates() throws {
        var image = try patternImage(width: 3, height: 2, channels: 2, bitDepth: 16, seed: 4)
        image.channels = 3
        #expect(throws: ImageError.invalidImage(reason: "12 samples for shape [H: 2, W: 3, C: 3]")) {
            try PNG.encode(image)
        }
    }

    @Test("subscript reads HWC samples; toCHWFloat() transposes to [C, H, W] and multiplies by Float(1/max)")
    func layout() throws {
        let image = try Image(width: 2, height: 1, channels: 3, bitDepth: 8, samples: [0, 51, 255, 102, 153, 204])
        #expect(image[0, 1, 2] == 204)
        #expect(image.maximumValue == 255)
        let (shape, values) = image.toCHWFloat()
        #expect(shape == [3, 1, 2])
        let scale = Float(1.0 / 255)
        #expect(values == [0, 102 * scale, 51 * scale, 153 * scale, 1, 204 * scale])
        let deep = try Image(width: 1, height: 1, channels: 1, bitDepth: 16, samples: [65535])
        #expect(deep.toCHWFloat().values == [1])
    }
}
