import Foundation
import Golden
import HDF5
import Images
import TestSupport
import Testing

/// Corrupt, truncated and non-PNG files give an ``ImageError`` that names the file; nothing crashes.
@Suite("PNG errors name the file")
struct PNGErrorTests {
    @Test(
        "every refused fixture throws the recorded kind of error, naming the path",
        arguments: PNGFixtures.refused)
    func refusedFixture(name: String) throws {
        let result = try PNGFixtures.references().replayRefused(name)
        #expect(result.count == 2 * ImageReadMode.allCases.count)
        expectPassed(result)
    }

    @Test("decode(_:name:) names the given name and reports libpng's reason")
    func decodeNamesTheName() throws {
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: PNGFixtures.path("rgb8"))))
        bytes[29] ^= 0xFF
        let error = #expect(throws: ImageError.self) { try PNG.decode(bytes, name: "in-memory.png") }
        #expect(error == .corrupt(file: "in-memory.png", format: .png, reason: "IHDR: CRC error"))
        #expect(error?.description == "PNG file 'in-memory.png' is corrupt: IHDR: CRC error")
    }

    @Test("an image larger than maximumBytes is refused before decoding, with its size")
    func sizeLimit() throws {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: PNGFixtures.path("rgb16"))))
        let exact = 13 * 11 * 3 * 2
        #expect(try PNG.decode(bytes, name: "rgb16.png", maximumBytes: exact).samples.count == 13 * 11 * 3)
        let error = #expect(throws: ImageError.self) {
            try PNG.decode(bytes, name: "rgb16.png", maximumBytes: exact - 1)
        }
        #expect(
            error
                == .tooLarge(
                    file: "rgb16.png", format: .png,
                    reason: "13 x 11 pixels x 3 channels x 2 bytes = 858 bytes exceeds the limit of 857 bytes"))
    }

    @Test("the 28.8 GB header is refused against the default 2^31-byte limit")
    func defaultLimit() throws {
        let path = PNGFixtures.path("error_tooLarge_huge")
        let error = #expect(throws: ImageError.self) { try PNG.read(path: path, mode: .unchanged) }
        #expect(
            error?.description.contains("60000 x 60000 pixels x 4 channels x 2 bytes") == true,
            "\(String(describing: error))")
        #expect(PNG.maximumDecodedBytes == 1 << 31)
    }
}
