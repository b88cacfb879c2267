import CHDF5

/// A check of an object's attribute messages made before `H5Aiterate2` lists them.
///
/// libhdf5 1.10.8 lists the attributes of an object header in compact storage (every h5py file but one with more
/// than 8 attributes in the latest format) by first building a table of them: `H5A__compact_build_table` walks the
/// attribute messages, decoding each (`H5O__attr_decode`), and grows the table by doubling, with the table's
/// `nattrs` holding its capacity until the walk ends, when it is corrected to the count. When one message does not
/// decode - a name whose stored length is not its length, a bad version or flags, a datatype or dataspace that does
/// not decode, data larger than the message - the walk fails with `nattrs` still the capacity, and
/// `H5O_attr_iterate_real` releases the table with `H5A__attr_release_table`, which calls `H5A__close` on every one
/// of the `nattrs` entries: the ones past the count were never written. Closing that garbage crashes (SEGV in
/// `H5A__close`), or closes an attribute still cached in the object header, which then crashes `H5Fclose` when the
/// metadata cache frees the header (`H5O__msg_free_real` -> `H5A__close`).
///
/// `H5Aexists` walks the same messages with the same decoder and no table, stopping only at a name that matches.
/// Asked for a name of 65,536 bytes - longer than any stored name, whose length is a 16-bit count that includes the
/// terminating NUL - it decodes every attribute message of a compact header and fails, harmlessly, where the table
/// walk would fail. (Dense storage is listed by `H5A__dense_iterate` without such a table.) So a failing probe
/// refuses the object before `H5Aiterate2`; the reason names the message when the object header, read from the
/// file with `pread` and parsed as libhdf5 does (HDF5 file format spec, "Data Object Headers", "Attribute Message"),
/// shows which name is inconsistent, and otherwise gives libhdf5's own innermost error.
enum HDF5AttributeMessages {
    /// A name no attribute message can hold: a stored name has at most 65,534 bytes before its NUL.
    static let probeName = String(repeating: "?", count: 65_536)

    /// Throws `HDF5Error.corruptAttributeMessages` when libhdf5 cannot decode every attribute message of the open
    /// object `object` (at `target` in `file`). Callers hold the library lock.
    static func check(_ object: hid_t, in file: HDF5File, at target: String) throws {
        // In a file opened read-only the header on disk is what libhdf5 reads: check the messages' names and parts
        // before libhdf5 decodes any of them (its decoder copies parts by their stored sizes).
        var info = H5O_info_t()
        if file.mode == .readOnly, H5Oget_info2(object, &info, H5O_INFO_BASIC) >= 0,
            let layout = try? HDF5FileLayout(file),
            let found = try? inconsistentMessage(inHeaderAt: UInt64(info.addr), layout: layout, path: file.path)
        {
            throw HDF5Error.corruptAttributeMessages(file: file.path, object: target, reason: found)
        }
        guard H5Aexists(object, probeName) < 0 else { return }
        let library = innermostLibraryError()
        var reason =
            library.map { "libhdf5 cannot decode one of its attribute messages: \($0)" }
            ?? "libhdf5 cannot decode one of its attribute messages"
        if H5Oget_info2(object, &info, H5O_INFO_BASIC) >= 0, let layout = try? HDF5FileLayout(file),
            let found = try? inconsistentMessage(inHeaderAt: UInt64(info.addr), layout: layout, path: file.path)
        {
            reason = found
        }
        throw HDF5Error.corruptAttributeMessages(file: file.path, object: target, reason: reason)
    }

    /// The description of the innermost error on libhdf5's current error stack (where the failure was detected).
    static func innermostLibraryError() -> String? {
        var description: String?
        withUnsafeMutablePointer(to: &description) { pointer in
            _ = H5Ewalk2(
                shim_H5E_DEFAULT(), H5E_WALK_UPWARD,
                { _, error, context in
                    let found = context!.assumingMemoryBound(to: String?.self)
                    if found.pointee == nil, let text = error?.pointee.desc { found.pointee = String(cString: text) }
                    return 0
                }, pointer)
        }
        return description
    }

    /// The first attribute message in the object header at `address` (following its continuation chunks) whose
    /// stored name length disagrees with its name - the bytes up to the first NUL inside the message -, whose
    /// version libhdf5 does not know, or whose parts do not fit in it (``partsClause(of:number:header:layout:)``),
    /// as one clause; `nil` when every attribute message is consistent or the header cannot be parsed (libhdf5
    /// refused it for another reason).
    static func inconsistentMessage(
        inHeaderAt address: UInt64, layout: HDF5FileLayout, path: String
    ) throws(HDF5GlobalHeap.Corruption) -> String? {
        guard let header = try HDF5ObjectHeader.read(at: address, layout: layout, path: path) else { return nil }
        var attribute = 0
        // Attribute messages stored in place (not shared-message references).
        for message in header.messages where message.type == 0x0C && message.flags & 0x02 == 0 {
            if let clause =
                nameClause(of: message.data, number: attribute, header: address, chunk: message.chunk)
                ?? partsClause(of: message.data, number: attribute, header: address, layout: layout)
            {
                return clause
            }
            attribute += 1
        }
        return nil
    }

    /// Why the parts of attribute message `number` - name, datatype, dataspace and data, by the sizes the message
    /// stores - do not fit in the message, or `nil`. libhdf5 1.10.8's decoder (`H5O__attr_decode`) copies each by
    /// its stored size without checking it against the message: a heap-buffer-overflow found by the `hdf5` fuzz
    /// target (`Fuzz/regressions/hdf5/libhdf5_H5O__attr_decode_memcpy_overflow_in_H5Aexists.h5`). Version 1 pads
    /// each part to 8 bytes; version 3 has an encoding byte before the name.
    static func partsClause(of message: [UInt8], number: Int, header: UInt64, layout: HDF5FileLayout) -> String? {
        let at = "attribute message \(number) of the object header at address \(header)"
        guard message.count >= 8, (1...3).contains(Int(message[0])) else { return nil }  // nameClause's to say
        let version = Int(message[0])
        func padded(_ size: Int) -> Int { version == 1 ? (size + 7) / 8 * 8 : size }
        let nameSize = Int(HDF5GlobalHeap.littleEndian(message, at: 2, size: 2))
        let datatypeSize = Int(HDF5GlobalHeap.littleEndian(message, at: 4, size: 2))
        let dataspaceSize = Int(HDF5GlobalHeap.littleEndian(message, at: 6, size: 2))
        let datatypeAt = (version == 3 ? 9 : 8) + padded(nameSize)
        let dataspaceAt = datatypeAt + padded(datatypeSize)
        let dataAt = dataspaceAt + padded(dataspaceSize)
        guard dataAt <= message.count, datatypeSize >= 8, dataspaceSize >= 4 else {
            return "\(at) stores a \(nameSize)-byte name, a \(datatypeSize)-byte datatype and a \(dataspaceSize)-byte "
                + "dataspace, which do not fit in its \(message.count) bytes"
        }
        // The datatype's element size (bytes 4-7); a variable-length element is stored as its length, the global
        // heap collection's address and the object's index.
        let datatypeClass = Int(message[datatypeAt] & 0x0F)
        let elementSize =
            datatypeClass == 9
            ? UInt64(8 + layout.addressSize) : HDF5GlobalHeap.littleEndian(message, at: datatypeAt + 4, size: 4)
        // The dataspace: version, rank, flags, then (version 1) 5 reserved bytes or (version 2) its type, and the
        // dimensions' sizes.
        let dataspaceVersion = Int(message[dataspaceAt])
        let rank = Int(message[dataspaceAt + 1])
        let dimensionsAt = dataspaceAt + (dataspaceVersion == 1 ? 8 : 4)
        guard dimensionsAt + rank * layout.lengthSize <= dataspaceAt + dataspaceSize else {
            return "\(at) has a dataspace of rank \(rank) that does not fit in its \(dataspaceSize) bytes"
        }
        var elements: UInt64 = dataspaceVersion >= 2 && message[dataspaceAt + 3] == 2 ? 0 : 1  // type 2: null
        for dimension in 0..<rank {
            let size = HDF5GlobalHeap.littleEndian(
                message, at: dimensionsAt + dimension * layout.lengthSize, size: layout.lengthSize)
            let (product, overflow) = elements.multipliedReportingOverflow(by: size)
            guard !overflow else { return "\(at) has a dataspace whose element count overflows" }
            elements = product
        }
        let (dataSize, overflow) = elements.multipliedReportingOverflow(by: elementSize)
        guard !overflow, dataSize <= UInt64(message.count - dataAt) else {
            return "\(at) holds \(elements) elements of \(elementSize) bytes, which do not fit in the "
                + "\(message.count - dataAt) bytes after its dataspace"
        }
        return nil
    }

    /// Why attribute message `number` (counting from 0) cannot be decoded by its version or name, or `nil`.
    private static func nameClause(of message: [UInt8], number: Int, header: UInt64, chunk: UInt64) -> String? {
        let at = "attribute message \(number) of the object header at address \(header)"
        guard message.count >= 8 else { return "\(at) is \(message.count) bytes, shorter than its 8-byte start" }
        let version = Int(message[0])
        guard (1...3).contains(version) else { return "\(at) has version \(version) (libhdf5 reads 1 to 3)" }
        let nameLength = Int(HDF5GlobalHeap.littleEndian(message, at: 2, size: 2))
        let nameStart = version == 3 ? 9 : 8
        let terminator = message[min(nameStart, message.count)...].firstIndex(of: 0)
        guard let terminator else {
            return "\(at) stores a \(nameLength)-byte name with no terminating NUL inside the message"
        }
        let name = String(decoding: message[nameStart..<terminator], as: UTF8.self)
        let actual = terminator - nameStart + 1
        guard actual == nameLength else {
            return "\(at) (in the chunk at address \(chunk)) stores a name length of \(nameLength) bytes, but its "
                + "name '\(name)' takes \(actual) with its terminating NUL"
        }
        return nil
    }
}
