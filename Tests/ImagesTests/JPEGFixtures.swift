import Foundation
import Golden
import HDF5
import Images
import Testing

/// The JPEG fixtures made by Fixtures/tlref/jpeg.py and PIL's decodings in expected.h5 (Fixtures/references/JPEG.md).
enum JPEGFixtures {
    /// Fixtures/testdata/jpeg, found from this source file's location.
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/testdata/jpeg").path

    /// The path of a fixture file.
    static func path(_ name: String) -> String {
        directory + "/" + name + ".jpg"
    }

    /// The bytes of a fixture file.
    static func bytes(_ name: String) throws -> [UInt8] {
        try [UInt8](Data(contentsOf: URL(fileURLWithPath: path(name))))
    }

    /// The stems of the JPEG files in the fixture folder, sorted; `refused` picks the `error_*` ones.
    static func names(refused: Bool) -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return files.filter { $0.hasSuffix(".jpg") && $0.hasPrefix("error_") == refused }
            .map { String($0.dropLast(4)) }
            .sorted()
    }

    /// Files every read mode must decode like PIL (RGB) and torchvision (gray, unchanged).
    static let decodable = names(refused: false)
    /// Files that must be refused with an error naming them.
    static let refused = names(refused: true)

    /// The folder and its references, as `workbench regress` replays them.
    static func references() throws -> ImageReferenceFolder {
        try ImageReferenceFolder(format: .jpeg, directory: directory)
    }

    /// The reference file, opened read-only.
    static func expected() throws -> HDF5File {
        try HDF5File(path: directory + "/expected.h5")
    }

    /// The group `images/<name>` or `errors/<name>` of expected.h5.
    static func group(_ path: String) throws -> HDF5Group {
        try expected().root.group(path)
    }
}

extension PNGFixtures {
    /// The bytes of a PNG fixture.
    static func bytes(_ name: String) throws -> [UInt8] {
        try [UInt8](Data(contentsOf: URL(fileURLWithPath: path(name))))
    }
}
