import HDF5

/// A file of op references (`Fixtures/references/ops.h5`): its provenance and its cases in stored order.
public struct OpReferenceFile {
    public let path: String
    /// Root attributes: torch version, seed, generator arguments.
    public let provenance: [String: HDF5AttributeValue]
    public let caseNames: [String]
    private let file: HDF5File

    public init(path: String) throws {
        self.path = path
        file = try HDF5File(path: path)
        provenance = try file.root.attributes()
        caseNames = try file.root.group("cases").groupNames()
    }

    /// Reads one case by name.
    public func loadCase(_ name: String) throws -> OpCase {
        try OpCase(group: try file.root.group("cases/\(name)"))
    }

    /// The default location, relative to the package root.
    public static let defaultRelativePath = "Fixtures/references/ops.h5"
}
