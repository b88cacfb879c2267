import Foundation
import HDF5
import Images

/// Replays the decoder references: every PNG of `Fixtures/testdata/png` against torchvision.io.read_image and
/// every JPEG of `Fixtures/testdata/jpeg` against PIL's `Image.open(f).convert("RGB")` (torchvision's
/// `decode_jpeg` for gray and unchanged), in every read mode, exactly; and every `error_*` file refused with the
/// recorded kind of ``ImageError``, naming the file. `expected.h5` in each folder holds the references
/// (Fixtures/references/JPEG.md; Fixtures/tlref/images.py).
public struct ImageReferenceFolder {
    public enum Format: String, Sendable {
        case png, jpeg

        /// The folder under the package root.
        public var relativePath: String { "Fixtures/testdata/\(rawValue)" }
        var fileExtension: String { self == .png ? "png" : "jpg" }
    }

    public let format: Format
    public let directory: String
    let file: HDF5File
    /// Files every read mode must decode like the reference, and files that must be refused (`error_*`).
    public let decodable: [String]
    public let refused: [String]

    /// Opens `directory/expected.h5`; the stored and the present files must agree, else the error names both lists.
    public init(format: Format, directory: String) throws {
        self.format = format
        self.directory = directory
        let referencePath = directory + "/expected.h5"
        file = try HDF5File(path: referencePath)
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let stems = files.filter { $0.hasSuffix("." + format.fileExtension) }
            .map { String($0.dropLast(format.fileExtension.count + 1)) }
        decodable = stems.filter { !$0.hasPrefix("error_") }.sorted()
        refused = stems.filter { $0.hasPrefix("error_") }.sorted()
        for (group, present) in [("images", decodable), ("errors", refused)] {
            guard file.root.contains(group) else {
                throw ImageReferenceError(path: referencePath, detail: "group '\(group)' is missing")
            }
            let recorded = try file.root.group(group).groupNames().sorted()
            guard recorded == present else {
                throw ImageReferenceError(
                    path: referencePath,
                    detail: "\(group) records \(Set(recorded).subtracting(present).sorted()) that are not in the "
                        + "folder, and the folder has \(Set(present).subtracting(recorded).sorted()) that are not "
                        + "recorded")
            }
        }
    }

    /// The path of a fixture file.
    public func path(_ name: String) -> String { directory + "/" + name + "." + format.fileExtension }

    /// The expected.h5 dataset that holds the reference for `mode`.
    public static func dataset(for mode: ImageReadMode) -> String {
        switch mode {
        case .unchanged: return "unchanged"
        case .gray: return "gray"
        case .rgb: return "rgb"
        }
    }

    func read(_ path: String, mode: ImageReadMode) throws -> Image {
        switch format {
        case .png: return try PNG.read(path: path, mode: mode)
        case .jpeg: return try JPEG.read(path: path, mode: mode)
        }
    }

    /// One decodable file in every read mode: the samples (exactly) and the bit depth.
    public func replayDecodable(_ name: String) throws -> ReplayResult {
        let group = try file.root.group("images/" + name)
        var result = ReplayResult()
        for mode in ImageReadMode.allCases {
            let label = "\(name).\(format.fileExtension) in mode \(mode)"
            let image = try read(path(name), mode: mode)
            let expected = try group.read(Self.dataset(for: mode), as: Int64.self, rank: 3)
            let shape = [image.height, image.width, image.channels]
            result.expectEqual(shape, expected.shape, "\(label): decoded shape [H, W, C]")
            if shape == expected.shape {
                let differing = image.samples.indices.first { Int64(image.samples[$0]) != expected.values[$0] }
                let pixel = (differing ?? 0) / max(image.channels, 1)
                result.check(
                    differing == nil,
                    "\(label): sample [y: \(pixel / max(image.width, 1)), x: \(pixel % max(image.width, 1)), "
                        + "c: \((differing ?? 0) % max(image.channels, 1))] is "
                        + "\(differing.map { image.samples[$0] } ?? 0), expected "
                        + "\(differing.map { expected.values[$0] } ?? 0)")
            }
            let bitDepth: Int
            switch format {
            case .png:
                guard case .int64(let depth) = try group.attribute("bit_depth") else {
                    throw ImageReferenceError(path: file.path, detail: "images/\(name).bit_depth is not an integer")
                }
                bitDepth = Int(depth)
            case .jpeg: bitDepth = 8
            }
            result.expectEqual(image.bitDepth, bitDepth, "\(label): bit depth")
        }
        return result
    }

    /// One `error_*` file in every read mode: refused with the recorded kind, the message naming the path.
    public func replayRefused(_ name: String) throws -> ReplayResult {
        guard case .string(let expectedKind) = try file.root.group("errors").attribute("kind", of: name) else {
            throw ImageReferenceError(path: file.path, detail: "errors/\(name).kind is not a string")
        }
        var result = ReplayResult()
        for mode in ImageReadMode.allCases {
            let label = "\(name).\(format.fileExtension) in mode \(mode)"
            do {
                let image = try read(path(name), mode: mode)
                result.check(
                    false, "\(label): decoded \(image.width) x \(image.height), expected a \(expectedKind) error")
            } catch let error as ImageError {
                result.expectEqual(error.kind, expectedKind, "\(label): error kind (\(error))")
                result.check(
                    error.description.contains(path(name)), "\(label): the message does not name the path: \(error)")
            }
        }
        return result
    }

    /// Every file: decodable ones as `images/<name>`, refused ones as `errors/<name>`.
    public func replayAll() -> [(name: String, result: Result<ReplayResult, Error>)] {
        decodable.map { name in ("images/\(name)", Result { try replayDecodable(name) }) }
            + refused.map { name in ("errors/\(name)", Result { try replayRefused(name) }) }
    }
}

/// A decoder reference folder that does not say what the replay needs.
public struct ImageReferenceError: Error, CustomStringConvertible {
    public let path: String
    public let detail: String
    public var description: String { "\(path): \(detail)" }
}
