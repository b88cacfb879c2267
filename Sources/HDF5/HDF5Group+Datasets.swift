import CHDF5

/// The element type and shape of a dataset, read without reading its values (mirrors `dataset.dtype`, `.shape`).
public struct HDF5DatasetInfo: Equatable, Sendable {
    /// The element type stored in the file.
    public let elementType: HDF5ElementType
    /// The dimensions, outermost first; empty for a rank-0 (scalar) dataset.
    public let shape: [Int]

    /// Info for a dataset of `elementType` with dimensions `shape`.
    public init(elementType: HDF5ElementType, shape: [Int]) {
        self.elementType = elementType
        self.shape = shape
    }

    /// The number of elements: the product of `shape` (1 for a scalar).
    public var count: Int { shape.reduce(1, *) }
}

extension HDF5Group {
    /// The element type and shape of the dataset at `dataset`.
    ///
    /// - Throws: `HDF5Error.notFound`, `.wrongKind`, `.unsupported` (a null dataspace).
    public func info(_ dataset: String) throws -> HDF5DatasetInfo {
        let target = resolve(dataset)
        return try HDF5Library.call {
            try file.withObject(at: target, expected: .dataset) { id in try datasetInfo(id, at: target) }
        }
    }

    /// Reads the whole dataset at `dataset` as `T` (mirrors `dataset[()]`).
    ///
    /// The stored element type must be exactly `T`'s (no float64 -> float32 narrowing); byte order is converted.
    /// Shape: the dataset's; pass `rank` to require a number of dimensions.
    ///
    /// - Throws: `HDF5Error.notFound`, `.wrongKind`, `.typeMismatch`, `.rankMismatch`.
    public func read<T: HDF5Scalar>(
        _ dataset: String, as type: T.Type = T.self,
        rank: Int? = nil
    ) throws -> HDF5Array<T> {
        let target = resolve(dataset)
        return try HDF5Library.call {
            try file.withObject(at: target, expected: .dataset) { id in
                let info = try datasetInfo(id, at: target)
                guard info.elementType == T.hdf5ElementType else {
                    throw HDF5Error.typeMismatch(
                        file: file.path, dataset: target, expected: T.hdf5ElementType,
                        found: info.elementType)
                }
                if let rank, rank != info.shape.count {
                    throw HDF5Error.rankMismatch(
                        file: file.path, dataset: target, expectedRank: rank,
                        foundShape: info.shape)
                }
                let count = info.count
                try checkStorage(id, count: count, elementSize: MemoryLayout<T>.size, at: target)
                let values = try [T](unsafeUninitializedCapacity: count) { buffer, initialized in
                    if count > 0 {
                        try file.check(
                            H5Dread(
                                id, T.nativeTypeID, shim_H5S_ALL(), shim_H5S_ALL(),
                                HDF5Library.defaultProperties, buffer.baseAddress),
                            "reading the dataset", at: target)
                    }
                    initialized = count
                }
                return HDF5Array(shape: info.shape, values: values)
            }
        }
    }

    /// Writes `array` as the dataset `dataset`, creating missing intermediate groups and replacing an existing
    /// dataset of that name (mirrors `group[name] = array` / `create_dataset(name, data=array, compression=...)`).
    ///
    /// Values are stored little-endian, as numpy does. With `gzipLevel` (0...9) the dataset is chunked and
    /// deflate-compressed; a rank-0 array cannot be, and an empty array is stored uncompressed.
    ///
    /// - Throws: `HDF5Error.readOnly`, `.invalidShape`, `.wrongKind` (a group is at `dataset` or an ancestor is
    ///   a dataset), `.unsupported` (gzip level or rank 0 with gzip).
    public func write<T: HDF5Scalar>(_ dataset: String, _ array: HDF5Array<T>, gzipLevel: Int? = nil) throws {
        let target = resolve(dataset)
        try HDF5Library.call {
            try file.requireWritable(target)
            try validate(array, gzipLevel: gzipLevel, at: target)
            try file.requireGroupAncestors(of: target)
            switch try file.checkedKind(at: target) {
            case .dataset?:
                try file.check(
                    H5Ldelete(file.id, target, HDF5Library.defaultProperties),
                    "replacing the dataset", at: target)
            case let found?:
                throw HDF5Error.wrongKind(file: file.path, path: target, expected: .dataset, found: found)
            case nil:
                break
            }
            let space = try file.check(dataspace(shape: array.shape), "creating the dataspace", at: target)
            defer { H5Sclose(space) }
            let linkProperties = HDF5Library.intermediateGroupsProperties()
            defer { H5Pclose(linkProperties) }
            let createProperties = H5Pcreate(shim_H5P_DATASET_CREATE())
            defer { H5Pclose(createProperties) }
            if let gzipLevel, !array.values.isEmpty {
                let chunk = Self.chunkShape(array.shape, elementSize: MemoryLayout<T>.stride)
                try file.check(H5Pset_chunk(createProperties, Int32(chunk.count), chunk), "chunking", at: target)
                try file.check(H5Pset_deflate(createProperties, UInt32(gzipLevel)), "enabling gzip", at: target)
            }
            let id = try file.check(
                H5Dcreate2(
                    file.id, target, T.fileTypeID, space, linkProperties, createProperties,
                    HDF5Library.defaultProperties),
                "creating the dataset", at: target)
            defer { H5Dclose(id) }
            if !array.values.isEmpty {
                try array.values.withUnsafeBufferPointer { buffer in
                    _ = try file.check(
                        H5Dwrite(
                            id, T.nativeTypeID, shim_H5S_ALL(), shim_H5S_ALL(), HDF5Library.defaultProperties,
                            buffer.baseAddress),
                        "writing the dataset", at: target)
                }
            }
        }
    }

    private func validate<T>(_ array: HDF5Array<T>, gzipLevel: Int?, at target: String) throws {
        guard array.shape.allSatisfy({ $0 >= 0 }), array.shape.reduce(1, *) == array.values.count else {
            throw HDF5Error.invalidShape(
                file: file.path, dataset: target, shape: array.shape,
                count: array.values.count)
        }
        guard let gzipLevel else { return }
        guard (0...9).contains(gzipLevel) else {
            throw HDF5Error.unsupported(
                file: file.path, path: target,
                reason: "gzip level must be in 0...9, got \(gzipLevel)")
        }
        guard !array.shape.isEmpty else {
            throw HDF5Error.unsupported(
                file: file.path, path: target,
                reason: "a rank-0 (scalar) dataset cannot be gzip-compressed")
        }
    }

    /// The element type and shape of the open dataset `id`.
    private func datasetInfo(_ id: hid_t, at target: String) throws -> HDF5DatasetInfo {
        let type = try file.check(H5Dget_type(id), "reading the element type", at: target)
        defer { H5Tclose(type) }
        let space = try file.check(H5Dget_space(id), "reading the dataspace", at: target)
        defer { H5Sclose(space) }
        guard H5Sget_simple_extent_type(space) != H5S_NULL else {
            throw HDF5Error.unsupported(file: file.path, path: target, reason: "the dataset has a null dataspace")
        }
        let rank = Int(try file.check(H5Sget_simple_extent_ndims(space), "reading the rank", at: target))
        var dimensions = [hsize_t](repeating: 0, count: rank)
        try file.check(H5Sget_simple_extent_dims(space, &dimensions, nil), "reading the shape", at: target)
        var count = 1
        for dimension in dimensions {
            let (product, overflow) = count.multipliedReportingOverflow(by: Int(clamping: dimension))
            guard dimension <= hsize_t(Int.max), !overflow else {
                throw HDF5Error.unsupported(
                    file: file.path, path: target, reason: "the dataset's shape \(dimensions) has too many elements")
            }
            count = product
        }
        return HDF5DatasetInfo(elementType: HDF5ElementType(typeID: type), shape: dimensions.map { Int($0) })
    }

    /// Refuses a dataset whose values would take more memory than its stored bytes can justify (deflate expands
    /// at most 1032:1; a dataset never written - fill values only - may take 1 MiB), before anything is allocated.
    private func checkStorage(_ id: hid_t, count: Int, elementSize: Int, at target: String) throws {
        let stored = Int(clamping: H5Dget_storage_size(id))
        let (needed, overflow) = count.multipliedReportingOverflow(by: elementSize)
        let (scaled, scaledOverflow) = stored.multipliedReportingOverflow(by: 1032)
        guard !overflow, scaledOverflow || needed <= scaled + (1 << 20) else {
            throw HDF5Error.unsupported(
                file: file.path, path: target,
                reason: "the dataset declares \(count) elements (\(overflow ? "too many" : "\(needed)") bytes) but "
                    + "stores \(stored) bytes, which cannot hold them")
        }
    }

    /// A scalar dataspace for `[]`, a simple one otherwise; the caller closes it.
    private func dataspace(shape: [Int]) -> hid_t {
        if shape.isEmpty { return H5Screate(H5S_SCALAR) }
        let dimensions = shape.map { hsize_t($0) }
        return H5Screate_simple(Int32(dimensions.count), dimensions, nil)
    }

    /// Chunk dimensions for compression: the whole array, with leading dimensions halved until a chunk holds
    /// at most 1 MiB.
    private static func chunkShape(_ shape: [Int], elementSize: Int) -> [hsize_t] {
        var chunk = shape
        var axis = 0
        while chunk.reduce(elementSize, *) > 1 << 20 && axis < chunk.count {
            if chunk[axis] > 1 {
                chunk[axis] = (chunk[axis] + 1) / 2
            } else {
                axis += 1
            }
        }
        return chunk.map { hsize_t($0) }
    }
}
