import Foundation
import HDF5

/// Where a reference file came from (its root attributes: the torch version and the generator's arguments), and
/// whether that torch is the one the generator pins - a replay of a file recorded with another torch says so
/// instead of silently comparing.
public struct ReferenceProvenance: Sendable {
    public let path: String
    public let torchVersion: String?
    public let generatorArguments: String?
    /// The file's `schema_version` attribute, when it has one.
    public let schemaVersion: Int?

    public init(path: String, attributes: [String: HDF5AttributeValue]) {
        self.path = path
        if case .string(let version)? = attributes["torch_version"] {
            torchVersion = version
        } else if case .string(let versions)? = attributes["versions"],
            let torch = versions.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) })
                .first(where: { $0.hasPrefix("torch ") })
        {
            // Older decoder references list every version in one `versions` attribute ("torch 2.15.0, ...").
            torchVersion = String(torch.dropFirst("torch ".count))
        } else {
            torchVersion = nil
        }
        if case .int64(let schema)? = attributes["schema_version"] {
            schemaVersion = Int(schema)
        } else {
            schemaVersion = nil
        }
        if case .string(let arguments)? = attributes["generator_args"] {
            generatorArguments = arguments
        } else {
            generatorArguments = nil
        }
    }

    /// Reads the root attributes of the HDF5 file at `path`.
    public init(path: String) throws {
        self.init(path: path, attributes: try HDF5File(path: path).root.attributes())
    }

    /// The torch version `Fixtures/requirements.txt` pins under `root` (`torch==2.15.0` -> `2.15.0`), or nil.
    public static func pinnedTorchVersion(root: URL) -> String? {
        let requirements = root.appendingPathComponent("Fixtures/requirements.txt")
        guard let text = try? String(contentsOf: requirements, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("torch==") {
            return String(line.dropFirst("torch==".count)).trimmingCharacters(in: .whitespaces)
        }
        return nil
    }

    /// A message when the file's `schema_version` is newer than `supported`, the newest this engine reads (nil when
    /// it is readable): a newer file is refused by name instead of being half-read.
    public func schemaProblem(supported: Int) -> String? {
        guard let schemaVersion, schemaVersion > supported else { return nil }
        return "\(path) has schema_version \(schemaVersion), newer than the \(supported) this engine reads; update the "
            + "package or re-record the file with this package's generator"
    }

    /// `recorded with torch 2.15.0+cu132 (generator: ops)`.
    public var summary: String {
        "recorded with torch \(torchVersion ?? "(unrecorded)")"
            + (generatorArguments.map { " (generator arguments: \($0))" } ?? "")
    }

    /// A warning when the file was recorded with a torch other than `pinned` (local build tags such as `+cpu` are
    /// ignored), or without a recorded version; nil when they match.
    public func versionWarning(pinned: String?) -> String? {
        guard let pinned else { return nil }
        guard let torchVersion else {
            return "warning: \(path) records no torch_version; the generator pins torch \(pinned)"
        }
        let release = torchVersion.split(separator: "+").first.map(String.init) ?? torchVersion
        guard release != pinned else { return nil }
        return "warning: \(path) was recorded with torch \(torchVersion), not the pinned \(pinned): differences "
            + "may come from PyTorch itself; re-record with the pinned version (Fixtures/requirements.txt) to compare"
    }
}
