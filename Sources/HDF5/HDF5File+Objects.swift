import CHDF5

/// Paths inside a file: normalizing them and finding, checking and opening the objects they name.
/// Callers hold the library lock (`HDF5Library.call`).
extension HDF5File {
    /// The absolute, normalized path of `name` relative to the group at `base`; a leading `"/"` makes `name`
    /// absolute, and empty and `"."` components are dropped.
    static func resolve(_ name: String, against base: String) -> String {
        let start = name.hasPrefix("/") ? [] : components(of: base)
        let joined = start + components(of: name)
        return "/" + joined.joined(separator: "/")
    }

    /// The non-empty, non-`"."` components of a path.
    static func components(of path: String) -> [String] {
        path.split(separator: "/").map(String.init).filter { $0 != "." }
    }

    /// What the normalized absolute `path` names, or `nil` when nothing (or a dangling link) is there.
    func kind(at path: String) -> HDF5ObjectKind? {
        var prefix = ""
        for component in Self.components(of: path) {
            prefix += "/" + component
            guard H5Lexists(id, prefix, HDF5Library.defaultProperties) > 0 else { return nil }
        }
        let object = H5Oopen(id, path, HDF5Library.defaultProperties)
        guard object >= 0 else { return nil }
        defer { H5Oclose(object) }
        switch H5Iget_type(object) {
        case H5I_GROUP: return .group
        case H5I_DATASET: return .dataset
        case H5I_DATATYPE: return .datatype
        default: return nil
        }
    }

    /// Opens the object at `path`, checks it is an `expected` (any kind when `nil`), runs `body` with its
    /// identifier and closes it.
    func withObject<Result>(
        at path: String, expected: HDF5ObjectKind?,
        _ body: (hid_t) throws -> Result
    ) throws -> Result {
        guard let found = kind(at: path) else {
            throw HDF5Error.notFound(file: self.path, path: path, expected: expected)
        }
        if let expected, found != expected {
            throw HDF5Error.wrongKind(file: self.path, path: path, expected: expected, found: found)
        }
        let object = H5Oopen(id, path, HDF5Library.defaultProperties)
        guard object >= 0 else {
            throw HDF5Error.libraryFailure(file: self.path, path: path, operation: "opening the \(found)")
        }
        defer { H5Oclose(object) }
        return try body(object)
    }

    /// Throws unless the file was opened for writing.
    func requireWritable(_ path: String) throws {
        guard mode != .readOnly else { throw HDF5Error.readOnly(file: self.path, path: path) }
    }

    /// Throws when one of the existing ancestors of `path` is not a group, so it cannot hold a new child.
    func requireGroupAncestors(of path: String) throws {
        var prefix = ""
        for component in Self.components(of: path).dropLast() {
            prefix += "/" + component
            guard let found = kind(at: prefix) else { return }
            if found != .group {
                throw HDF5Error.wrongKind(file: self.path, path: prefix, expected: .group, found: found)
            }
        }
    }

    /// Throws `.libraryFailure` when an HDF5 status (`herr_t`, `htri_t`, `hid_t`) is negative; returns it otherwise.
    @discardableResult
    func check<Status: BinaryInteger>(_ status: Status, _ operation: String, at path: String) throws -> Status {
        guard status >= 0 else {
            throw HDF5Error.libraryFailure(file: self.path, path: path, operation: operation)
        }
        return status
    }
}
