import CHDF5

/// The value of an HDF5 attribute (mirrors what h5py stores for `obj.attrs[name] = value`).
///
/// Reading converts integers of any width to `Int64` and floats of any width to `Double`; a scalar dataspace
/// gives `.int64`/`.float64`, a 1-d one `.int64Array`/`.float64Array`. Strings may be variable-length (what h5py
/// writes for `str`) or fixed-length (`np.bytes_`). Writing uses int64, float64 and variable-length UTF-8
/// strings, as h5py does.
public enum HDF5AttributeValue: Equatable, Sendable {
    /// A scalar integer attribute (h5py: a Python `int` or any numpy integer).
    case int64(Int64)
    /// A scalar float attribute (h5py: a Python `float` or any numpy float).
    case float64(Double)
    /// A scalar string attribute (h5py: `str` or `np.bytes_`).
    case string(String)
    /// A 1-d integer attribute (h5py: a list of `int`).
    case int64Array([Int64])
    /// A 1-d float attribute (h5py: a list of `float`).
    case float64Array([Double])
}

extension HDF5Group {
    /// All attributes of the group or dataset at `object` (this group by default), by name
    /// (mirrors `dict(obj.attrs)`).
    ///
    /// - Throws: `HDF5Error.notFound`, `.unsupportedAttribute` (for example a compound or 2-d attribute),
    ///   `.corruptAttributeMessages`.
    public func attributes(of object: String = ".") throws -> [String: HDF5AttributeValue] {
        let target = resolve(object)
        return try HDF5Library.call {
            try file.withObject(at: target, expected: nil) { id in
                var values: [String: HDF5AttributeValue] = [:]
                for name in try attributeNames(id, at: target) {
                    values[name] = try readAttribute(name, of: id, at: target)
                }
                return values
            }
        }
    }

    /// The attribute `name` of the group or dataset at `object` (this group by default)
    /// (mirrors `obj.attrs[name]`).
    ///
    /// - Throws: `HDF5Error.notFound`, `.attributeNotFound`, `.unsupportedAttribute`.
    public func attribute(_ name: String, of object: String = ".") throws -> HDF5AttributeValue {
        let target = resolve(object)
        return try HDF5Library.call {
            try file.withObject(at: target, expected: nil) { id in
                guard H5Aexists(id, name) > 0 else {
                    throw HDF5Error.attributeNotFound(file: file.path, object: target, name: name)
                }
                return try readAttribute(name, of: id, at: target)
            }
        }
    }

    /// Sets the attribute `name` of the group or dataset at `object` (this group by default), replacing an
    /// existing one (mirrors `obj.attrs[name] = value`). A string is stored up to its first NUL character.
    ///
    /// - Throws: `HDF5Error.readOnly`, `.notFound`.
    public func setAttribute(_ name: String, _ value: HDF5AttributeValue, on object: String = ".") throws {
        let target = resolve(object)
        try HDF5Library.call {
            try file.requireWritable(target)
            try file.withObject(at: target, expected: nil) { id in
                if H5Aexists(id, name) > 0 {
                    try file.check(H5Adelete(id, name), "replacing attribute '\(name)'", at: target)
                }
                switch value {
                case .int64(let number):
                    try writeAttribute(name, [number], scalar: true, of: id, at: target)
                case .float64(let number):
                    try writeAttribute(name, [number], scalar: true, of: id, at: target)
                case .int64Array(let numbers):
                    try writeAttribute(name, numbers, scalar: false, of: id, at: target)
                case .float64Array(let numbers):
                    try writeAttribute(name, numbers, scalar: false, of: id, at: target)
                case .string(let text):
                    try writeAttribute(name, text, of: id, at: target)
                }
            }
        }
    }

    /// The attribute names of the open object `id`, in name order.
    ///
    /// - Throws: `HDF5Error.corruptAttributeMessages` before `H5Aiterate2` when an attribute message does not decode
    ///   (see ``HDF5AttributeMessages``), `.libraryFailure`.
    private func attributeNames(_ id: hid_t, at target: String) throws -> [String] {
        try HDF5AttributeMessages.check(id, in: file, at: target)
        var names: [String] = []
        let status = withUnsafeMutablePointer(to: &names) { pointer in
            H5Aiterate2(
                id, H5_INDEX_NAME, H5_ITER_INC, nil,
                { _, name, _, context in
                    context!.assumingMemoryBound(to: [String].self).pointee.append(String(cString: name!))
                    return 0
                }, pointer)
        }
        try file.check(status, "listing the attributes", at: target)
        return names
    }

    private func readAttribute(_ name: String, of object: hid_t, at target: String) throws -> HDF5AttributeValue {
        let attribute = try file.check(
            H5Aopen(object, name, HDF5Library.defaultProperties),
            "opening attribute '\(name)'", at: target)
        defer { H5Aclose(attribute) }
        let type = try file.check(H5Aget_type(attribute), "reading the type of attribute '\(name)'", at: target)
        defer { H5Tclose(type) }
        let space = try file.check(H5Aget_space(attribute), "reading the shape of attribute '\(name)'", at: target)
        defer { H5Sclose(space) }
        let spaceClass = H5Sget_simple_extent_type(space)
        let rank = H5Sget_simple_extent_ndims(space)
        let count = Int(H5Sget_simple_extent_npoints(space))
        let isScalar = spaceClass == H5S_SCALAR
        // An attribute's values are stored in its object header, uncompressed: never more than the file's bytes.
        var fileSize: hsize_t = 0
        H5Fget_filesize(file.id, &fileSize)
        let elementSize = H5Tget_size(type)
        let (bytes, overflow) = max(count, 0).multipliedReportingOverflow(by: max(elementSize, 1))
        guard count >= 0, !overflow, H5Tis_variable_str(type) > 0 || UInt64(bytes) <= UInt64(fileSize) else {
            throw HDF5Error.unsupportedAttribute(
                file: file.path, object: target, name: name,
                type: "\(count) elements of \(elementSize) bytes, more than the file's \(fileSize) bytes hold")
        }
        let typeClass = H5Tget_class(type)
        switch typeClass {
        case H5T_INTEGER where isScalar || rank == 1:
            let numbers: [Int64] = try readNumbers(attribute, count: count, name: name, at: target)
            return isScalar ? .int64(numbers[0]) : .int64Array(numbers)
        case H5T_FLOAT where isScalar || rank == 1:
            let numbers: [Double] = try readNumbers(attribute, count: count, name: name, at: target)
            return isScalar ? .float64(numbers[0]) : .float64Array(numbers)
        case H5T_STRING where isScalar:
            return .string(try readString(attribute, type: type, name: name, at: target))
        default:
            let shape = spaceClass == H5S_NULL ? "null" : isScalar ? "scalar" : "rank-\(rank)"
            let description = typeClass == H5T_STRING ? "string" : HDF5ElementType(typeID: type).description
            throw HDF5Error.unsupportedAttribute(
                file: file.path, object: target, name: name,
                type: "\(shape) \(description)")
        }
    }

    /// Reads `count` numbers of any integer or float width, converted by HDF5 to `T`.
    private func readNumbers<T: HDF5Scalar>(
        _ attribute: hid_t, count: Int, name: String,
        at target: String
    ) throws -> [T] {
        try [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            if count > 0 {
                try file.check(
                    H5Aread(attribute, T.nativeTypeID, buffer.baseAddress),
                    "reading attribute '\(name)'", at: target)
            }
            initialized = count
        }
    }

    /// Reads a scalar string attribute, variable-length or fixed-length (NUL-terminated, NUL- or space-padded).
    private func readString(_ attribute: hid_t, type: hid_t, name: String, at target: String) throws -> String {
        if H5Tis_variable_str(type) > 0 {
            try checkStoredString(attribute, type: type, name: name, at: target)
            var pointer: UnsafeMutablePointer<CChar>?
            try file.check(H5Aread(attribute, type, &pointer), "reading attribute '\(name)'", at: target)
            defer { H5free_memory(pointer) }
            return pointer.map { String(cString: $0) } ?? ""
        }
        var bytes = [UInt8](repeating: 0, count: H5Tget_size(type))
        try file.check(H5Aread(attribute, type, &bytes), "reading attribute '\(name)'", at: target)
        var text = bytes.prefix { $0 != 0 }
        if H5Tget_strpad(type) == H5T_STR_SPACEPAD {
            while text.last == UInt8(ascii: " ") { text.removeLast() }
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Refuses a variable-length string attribute that libhdf5 1.10.8's `H5Aread` would read out of bounds or
    /// loop on (see ``HDF5GlobalHeap``): its characters must be 1-byte integers, and its stored length and global
    /// heap reference, read raw first (no heap access), must agree with the collection in the file.
    ///
    /// - Throws: `HDF5Error.unsupportedAttribute` (other characters), `.corruptAttribute`.
    private func checkStoredString(_ attribute: hid_t, type: hid_t, name: String, at target: String) throws {
        let characters = try file.check(
            H5Tget_super(type), "reading the character type of attribute '\(name)'", at: target)
        defer { H5Tclose(characters) }
        guard H5Tget_class(characters) == H5T_INTEGER, H5Tget_size(characters) == 1 else {
            throw HDF5Error.unsupportedAttribute(
                file: file.path, object: target, name: name,
                type: "variable-length string of \(HDF5ElementType(typeID: characters)) characters")
        }
        let layout = try HDF5FileLayout(file)
        let raw = HDF5Library.rawVariableLengthStringType
        guard raw >= 0 else {
            throw HDF5Error.libraryFailure(
                file: file.path, path: target, operation: "registering the raw string conversion")
        }
        var bytes = [UInt8](repeating: 0, count: H5Tget_size(raw))
        try file.check(H5Aread(attribute, raw, &bytes), "reading the stored form of attribute '\(name)'", at: target)
        guard let stored = HDF5StoredString(bytes, layout: layout) else {
            throw HDF5Error.corruptAttribute(
                file: file.path, object: target, name: name,
                reason: "the file's \(layout.addressSize)-byte addresses do not fit a stored string")
        }
        do {
            try HDF5GlobalHeap.check(stored, layout: layout, path: file.path)
        } catch {
            throw HDF5Error.corruptAttribute(file: file.path, object: target, name: name, reason: error.reason)
        }
    }

    /// Writes int64 or float64 numbers as a scalar (`scalar`, one number) or 1-d attribute.
    private func writeAttribute<T: HDF5Scalar>(
        _ name: String, _ numbers: [T], scalar: Bool, of object: hid_t,
        at target: String
    ) throws {
        let space = try file.check(
            scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, [hsize_t(numbers.count)], nil),
            "creating the shape of attribute '\(name)'", at: target)
        defer { H5Sclose(space) }
        let attribute = try file.check(
            H5Acreate2(
                object, name, T.fileTypeID, space, HDF5Library.defaultProperties,
                HDF5Library.defaultProperties),
            "creating attribute '\(name)'", at: target)
        defer { H5Aclose(attribute) }
        guard !numbers.isEmpty else { return }
        try numbers.withUnsafeBufferPointer { buffer in
            _ = try file.check(
                H5Awrite(attribute, T.nativeTypeID, buffer.baseAddress),
                "writing attribute '\(name)'", at: target)
        }
    }

    /// Writes a scalar variable-length UTF-8 string attribute, as h5py does for `str`.
    private func writeAttribute(_ name: String, _ text: String, of object: hid_t, at target: String) throws {
        let type = try file.check(H5Tcopy(shim_H5T_C_S1()), "creating a string type", at: target)
        defer { H5Tclose(type) }
        H5Tset_size(type, shim_H5T_VARIABLE())
        H5Tset_cset(type, H5T_CSET_UTF8)
        let space = try file.check(H5Screate(H5S_SCALAR), "creating the shape of attribute '\(name)'", at: target)
        defer { H5Sclose(space) }
        let attribute = try file.check(
            H5Acreate2(object, name, type, space, HDF5Library.defaultProperties, HDF5Library.defaultProperties),
            "creating attribute '\(name)'", at: target)
        defer { H5Aclose(attribute) }
        try text.withCString { characters in
            var pointer: UnsafePointer<CChar>? = characters
            try file.check(H5Awrite(attribute, type, &pointer), "writing attribute '\(name)'", at: target)
        }
    }
}
