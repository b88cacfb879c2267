import CHDF5

/// A group in an open HDF5 file, named by its absolute path; it keeps the file open.
///
/// Every method takes names relative to this group; a name may contain `"/"` (`"a/b/c"`), a leading `"/"` makes it
/// absolute, and `"."` is the group itself. Mirrors `h5py.Group`.
public struct HDF5Group {
    /// The file this group belongs to.
    public let file: HDF5File
    /// The absolute path of this group, `"/"` for the root.
    public let path: String

    init(file: HDF5File, path: String) {
        self.file = file
        self.path = path
    }

    /// The absolute path of `name` relative to this group.
    func resolve(_ name: String) -> String {
        HDF5File.resolve(name, against: path)
    }

    /// The existing group at `name` (mirrors `group[name]`).
    ///
    /// - Throws: `HDF5Error.notFound` or `.wrongKind` (a dataset is there).
    public func group(_ name: String) throws -> HDF5Group {
        let target = resolve(name)
        try HDF5Library.call {
            try file.withObject(at: target, expected: .group) { _ in }
        }
        return HDF5Group(file: file, path: target)
    }

    /// The group at `name`, created with any missing intermediate groups if it does not exist
    /// (mirrors `require_group`).
    ///
    /// - Throws: `HDF5Error.wrongKind` when `name` or one of its ancestors is a dataset, `.readOnly`.
    @discardableResult
    public func createGroup(_ name: String) throws -> HDF5Group {
        let target = resolve(name)
        try HDF5Library.call {
            if let found = try file.checkedKind(at: target) {
                guard found == .group else {
                    throw HDF5Error.wrongKind(file: file.path, path: target, expected: .group, found: found)
                }
                return
            }
            try file.requireWritable(target)
            try file.requireGroupAncestors(of: target)
            let linkProperties = HDF5Library.intermediateGroupsProperties()
            defer { H5Pclose(linkProperties) }
            let group = try file.check(
                H5Gcreate2(
                    file.id, target, linkProperties, HDF5Library.defaultProperties,
                    HDF5Library.defaultProperties),
                "creating the group", at: target)
            H5Gclose(group)
        }
        return HDF5Group(file: file, path: target)
    }

    /// What `name` is (group, dataset or named datatype), or `nil` when nothing is there.
    public func kind(of name: String) -> HDF5ObjectKind? {
        let target = resolve(name)
        return HDF5Library.call { file.kind(at: target) }
    }

    /// Whether a group, dataset or named datatype exists at `name` (mirrors `name in group`).
    public func contains(_ name: String) -> Bool {
        kind(of: name) != nil
    }

    /// The names of the direct children of this group, sorted (mirrors `sorted(group.keys())`).
    public func childNames() throws -> [String] {
        try children().map(\.name)
    }

    /// The names of the direct children that are groups, sorted.
    public func groupNames() throws -> [String] {
        try children().filter { $0.kind == .group }.map(\.name)
    }

    /// The names of the direct children that are datasets, sorted.
    public func datasetNames() throws -> [String] {
        try children().filter { $0.kind == .dataset }.map(\.name)
    }

    /// The direct children with their kinds (`nil` for a dangling link), sorted by name.
    private func children() throws -> [(name: String, kind: HDF5ObjectKind?)] {
        try HDF5Library.call {
            let names = try file.withObject(at: path, expected: .group) { group in
                var info = H5G_info_t()
                try file.check(H5Gget_info(group, &info), "reading the group info", at: path)
                return try (0..<info.nlinks).map { index in
                    let length = try file.check(
                        H5Lget_name_by_idx(
                            group, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0,
                            HDF5Library.defaultProperties),
                        "reading a link name", at: path)
                    return HDF5Library.string(length: Int(length)) { buffer, capacity in
                        _ = H5Lget_name_by_idx(
                            group, ".", H5_INDEX_NAME, H5_ITER_INC, index, buffer, capacity,
                            HDF5Library.defaultProperties)
                    }
                }
            }
            return names.sorted().map { name in
                (name, file.kind(at: HDF5File.resolve(name, against: path)))
            }
        }
    }
}
