import Foundation
import Images
import Testing

/// A file that cannot be read is named once, with the reason a shell would give, by every reader.
@Suite("Image files that cannot be read")
struct ImageFileTests {
    static let readers: [(name: String, read: (String) throws -> Void)] = [
        ("PNG.read", { _ = try PNG.read(path: $0) }), ("JPEG.read", { _ = try JPEG.read(path: $0) }),
        ("JPEG.header", { _ = try JPEG.header(path: $0) }),
    ]

    @Test("a missing file and a folder are unreadable: the path once and the system's reason / 'it is a folder'")
    func missingFileAndFolder() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("image-bytes-\(getpid())").path
        try FileManager.default.createDirectory(atPath: folder + "/cat.png", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for (path, reason) in [(folder + "/no such file.jpg", "No such file or directory"), (folder + "/cat.png", "it is a folder")]
        {
            for reader in Self.readers {
                let error = #expect(throws: ImageError.self, "\(reader.name)") { try reader.read(path) }
                #expect(error?.description == "cannot read image file '\(path)': \(reason)", "\(reader.name)")
            }
        }
    }
}
