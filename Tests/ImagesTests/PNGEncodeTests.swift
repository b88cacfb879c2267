import Foundation
import Images
import Testing

/// Encoding: every supported layout survives encode -> decode, and write(_:to:) is atomic.
@Suite("PNG encoding round-trips")
struct PNGEncodeTests {
    @Test("encode -> decode gives the same image", arguments: [1, 2, 3, 4], [8, 16])
    func roundTrip(channels: Int, bitDepth: Int) throws {
        let image = try patternImage(
            width: 13, height: 11, channels: channels, bitDepth: bitDepth,
            seed: UInt64(channels * 100 + bitDepth))
        let bytes = try PNG.encode(image)
        #expect(Array(bytes.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        #expect(try PNG.decode(bytes, name: "encoded") == image)
    }

    @Test("every decodable fixture survives decode -> encode -> decode", arguments: PNGFixtures.decodable)
    func fixtureRoundTrip(name: String) throws {
        let image = try PNG.read(path: PNGFixtures.path(name), mode: .unchanged)
        #expect(try PNG.decode(PNG.encode(image), name: name) == image)
    }

    @Test("write(_:to:) replaces the file atomically and leaves no temporary file")
    func writeIsAtomic() throws {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("ImagesTests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/out.png"
        let first = try patternImage(width: 5, height: 7, channels: 3, bitDepth: 8, seed: 1)
        let second = try patternImage(width: 7, height: 5, channels: 4, bitDepth: 16, seed: 2)
        try PNG.write(first, to: path)
        try PNG.write(second, to: path)
        #expect(try PNG.read(path: path, mode: .unchanged) == second)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["out.png"])
    }

    @Test("write(_:to:) into a missing folder is unwritable, naming the path")
    func writeIntoMissingFolder() throws {
        let path = "/nonexistent-\(UUID().uuidString)/out.png"
        let image = try patternImage(width: 2, height: 2, channels: 1, bitDepth: 8, seed: 3)
        let error = #expect(throws: ImageError.self) { try PNG.write(image, to: path) }
        #expect(error?.description.contains(path) == true, "\(String(describing: error))")
    }
}
