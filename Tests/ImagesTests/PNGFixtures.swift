import Foundation
import Golden
import HDF5
import Images
import Testing

/// The PNG fixtures made by Fixtures/tlref/images.py and the torchvision decodings in expected.h5.
enum PNGFixtures {
    /// Fixtures/testdata/png, found from this source file's location.
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/testdata/png").path

    /// The path of a fixture file.
    static func path(_ name: String) -> String {
        directory + "/" + name + ".png"
    }

    /// The stems of the PNG files in the fixture folder, sorted; `refused` picks the `error_*` ones.
    static func names(refused: Bool) -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return files.filter { $0.hasSuffix(".png") && $0.hasPrefix("error_") == refused }
            .map { String($0.dropLast(4)) }
            .sorted()
    }

    /// Files every read mode must decode exactly like torchvision.
    static let decodable = names(refused: false)
    /// Files that must be refused with an error naming them.
    static let refused = names(refused: true)

    /// The folder and its references, as `workbench regress` replays them.
    static func references() throws -> ImageReferenceFolder {
        try ImageReferenceFolder(format: .png, directory: directory)
    }

    /// The reference file, opened read-only.
    static func expected() throws -> HDF5File {
        try HDF5File(path: directory + "/expected.h5")
    }

    /// The integer attribute `name` of `object`.
    static func integer(_ group: HDF5Group, _ name: String, of object: String = ".") throws -> Int {
        guard case let .int64(value) = try group.attribute(name, of: object) else {
            Issue.record("attribute \(name) of \(object) in \(group.path) is not an integer")
            return -1
        }
        return Int(value)
    }

    /// The string attribute `name` of `object`.
    static func string(_ group: HDF5Group, _ name: String, of object: String = ".") throws -> String {
        guard case let .string(value) = try group.attribute(name, of: object) else {
            Issue.record("attribute \(name) of \(object) in \(group.path) is not a string")
            return ""
        }
        return value
    }
}

/// Records an issue unless `image` has exactly the HWC shape and integer samples of `expected`; the
/// message names `label`, the first differing [y, x, c], the expected and the decoded value.
func expectSamples(_ image: Image, equal expected: HDF5Array<Int64>, _ label: String) {
    let shape = [image.height, image.width, image.channels]
    guard shape == expected.shape else {
        Issue.record("\(label): decoded shape [H, W, C] = \(shape), expected \(expected.shape)")
        return
    }
    guard let index = image.samples.indices.first(where: { Int64(image.samples[$0]) != expected.values[$0] }) else {
        return
    }
    let pixel = index / image.channels
    Issue.record(
        """
        \(label): sample [y: \(pixel / image.width), x: \(pixel % image.width), c: \(index % image.channels)] \
        is \(image.samples[index]), expected \(expected.values[index])
        """)
}

/// A deterministic image with every sample from a 64-bit LCG, including 0 and the maximum.
func patternImage(width: Int, height: Int, channels: Int, bitDepth: Int, seed: UInt64) throws -> Image {
    var state = seed
    let top = UInt16((1 << bitDepth) - 1)
    var samples = (0..<(width * height * channels)).map { _ -> UInt16 in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return UInt16(truncatingIfNeeded: state >> 33) & top
    }
    samples[0] = 0
    samples[samples.count - 1] = top
    return try Image(width: width, height: height, channels: channels, bitDepth: bitDepth, samples: samples)
}
