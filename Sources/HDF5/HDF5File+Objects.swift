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

    /// What the normalized absolute `path` names, or `nil` when nothing (or a dangling link) is there, or when an
    /// object header on the way is corrupt (``checkedKind(at:)`` says how; opening the object throws).
    func kind(at path: String) -> HDF5ObjectKind? {
        (try? checkedKind(at: path)) ?? nil
    }

    /// What the normalized absolute `path` names, or `nil` when nothing (or a dangling link) is there. In a file
    /// opened `.readOnly`, every object header on the way is read from the file and checked (``HDF5ObjectHeader``)
    /// before libhdf5 loads it. (A file opened for writing holds headers libhdf5 has not flushed yet, so the bytes
    /// on disk are not what it reads; every reader of files from elsewhere opens them read-only, and the root
    /// group's header is checked in every mode when the file is opened.)
    ///
    /// - Throws: `HDF5Error.corruptObjectHeader` naming the object whose header does not fit in the file.
    func checkedKind(at path: String) throws -> HDF5ObjectKind? {
        var prefix = ""
        for component in Self.components(of: path) {
            prefix += "/" + component
            guard H5Lexists(id, prefix, HDF5Library.defaultProperties) > 0 else { return nil }
            var link = H5L_info_t()
            guard H5Lget_info(id, prefix, &link, HDF5Library.defaultProperties) >= 0 else { return nil }
            if mode == .readOnly, link.type == H5L_TYPE_HARD {
                try checkObjectHeader(at: UInt64(link.u.address), of: prefix)
            }
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

    /// Throws `HDF5Error.corruptObjectHeader` when the header at `address` of the object at `path` has a chunk
    /// that does not fit in the file (libhdf5 would allocate what it claims).
    private func checkObjectHeader(at address: UInt64, of path: String) throws {
        let layout = try HDF5FileLayout(self)
        do {
            _ = try HDF5ObjectHeader.read(at: address, layout: layout, path: self.path)
        } catch {
            throw HDF5Error.corruptObjectHeader(file: self.path, object: path, reason: error.reason)
        }
    }

    /// Opens the object at `path`, checks it is an `expected` (any kind when `nil`), runs `body` with its
    /// identifier and closes it.
    func withObject<Result>(
        at path: String, expected: HDF5ObjectKind?,
        _ body: (hid_t) throws -> Result
    ) throws -> Result {
        guard let found = try checkedKind(at: path) else {
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
            guard let found = try checkedKind(at: prefix) else { return }
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
