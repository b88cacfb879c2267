import Foundation

/// What a file's HDF5 superblock says about the file's length, read without libhdf5 to explain why libhdf5 could
/// not open it (HDF5 file format spec, "Disk Format: Level 0A - Format Signature and Superblock").
///
/// The superblock starts with the 8-byte signature `\x89HDF\r\n\x1a\n` at offset 0, 512, 1024, 2048, ... (after
/// a user block) and stores the base address and the end-of-file address; the file must be at least
/// base + end-of-file bytes long. h5py writes versions 0 (`libver="earliest"`, its default) and 2 or 3 (`"latest"`).
enum HDF5Superblock {
    /// The format signature every HDF5 file starts with (after its user block).
    static let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]

    /// Why a file that libhdf5 refused to open is not a readable HDF5 file, as one clause naming its size in bytes;
    /// `nil` when its superblock is whole and the file is as long as the superblock says (it is damaged elsewhere,
    /// or libhdf5 refused it for another reason).
    static func truncation(ofFileAt path: String) -> String? {
        switch find(inFileAt: path) {
        case let .found(superblock, start, size):
            return truncation(superblock: superblock, at: start, fileSize: size)
        case let .truncatedSignature(start, size):
            return "it is truncated: \(size) bytes, which end inside the HDF5 signature at offset \(start)"
        case nil:
            return nil
        }
    }

    /// Checks, before `H5Fopen`, what libhdf5 reads while opening the file and sizes from the file: the driver
    /// information block (versions 0 and 1: a 16-byte header whose 4-byte size field says how much follows), the
    /// superblock extension's object header (versions 2 and 3) and the root group's object header
    /// (``HDF5ObjectHeader``). libhdf5 1.10.8 allocates what these claim before reading them: 4 GB for a driver
    /// information size of `0xFF000000` in an 11 KB file, found by the `hdf5` fuzz target.
    ///
    /// Files whose superblock this does not read (libhdf5 refuses them by itself) pass.
    /// - Throws: `HDF5GlobalHeap.Corruption` naming the structure, its address and claimed size.
    static func checkStructures(ofFileAt path: String) throws(HDF5GlobalHeap.Corruption) {
        guard case let .found(superblock, start, size) = find(inFileAt: path), let fields = Fields(superblock),
            superblock.count >= fields.rootAddressAt + fields.addressSize
        else { return }
        // Addresses are relative to the base address; libhdf5 takes the superblock's own offset (the user block's
        // size) for it whatever the superblock stores (`H5F__super_read`).
        let layout = HDF5FileLayout(
            baseAddress: UInt64(start), addressSize: fields.addressSize, lengthSize: fields.lengthSize)
        let undefined = UInt64.max >> (64 - 8 * min(fields.addressSize, 8))
        func address(at offset: Int) -> UInt64? {
            let value = HDF5GlobalHeap.littleEndian(superblock, at: offset, size: fields.addressSize)
            return value == undefined ? nil : value
        }
        if fields.version < 2, let driverInfo = address(at: fields.addressesAt + 3 * fields.addressSize) {
            let fileSize = UInt64(size)
            let (offset, overflow) = layout.baseAddress.addingReportingOverflow(driverInfo)
            guard !overflow, offset <= fileSize, fileSize - offset >= 16 else {
                throw HDF5GlobalHeap.Corruption(
                    reason: "its driver information block at address \(driverInfo) does not fit in the file's "
                        + "\(size) bytes")
            }
            let header = bytes(ofFileAt: path, at: Int(offset), count: 16)
            let claimed = header.count == 16 ? HDF5GlobalHeap.littleEndian(header, at: 4, size: 4) : .max
            guard claimed <= fileSize - offset - 16 else {
                throw HDF5GlobalHeap.Corruption(
                    reason: "its driver information block at address \(driverInfo) claims \(claimed) bytes after its "
                        + "16-byte header, which do not fit in the file's \(size) bytes")
            }
        }
        if fields.version >= 2, let extensionHeader = address(at: fields.addressesAt + fields.addressSize) {
            do {
                _ = try HDF5ObjectHeader.read(at: extensionHeader, layout: layout, path: path)
            } catch {
                throw HDF5GlobalHeap.Corruption(reason: "its superblock extension is corrupt: \(error.reason)")
            }
        }
        let root = HDF5GlobalHeap.littleEndian(superblock, at: fields.rootAddressAt, size: fields.addressSize)
        do {
            _ = try HDF5ObjectHeader.read(at: root, layout: layout, path: path)
        } catch {
            throw HDF5GlobalHeap.Corruption(reason: "the root group's object header is corrupt: \(error.reason)")
        }
    }

    /// Up to `count` bytes of the file at `path` from `offset`.
    private static func bytes(ofFileAt path: String, at offset: Int, count: Int) -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? handle.close() }
        return read(handle, at: offset, count: count)
    }

    /// Up to `count` bytes of the open `handle` from `offset` (fewer at the end of the file, none on an error).
    private static func read(_ handle: FileHandle, at offset: Int, count: Int) -> [UInt8] {
        guard (try? handle.seek(toOffset: UInt64(offset))) != nil else { return [] }
        return [UInt8]((try? handle.read(upToCount: count)) ?? Data())
    }

    /// What a search for the superblock found: its first bytes (up to 256) at `start` in a file of `size` bytes, or
    /// a file that ends inside the signature.
    private enum Search {
        case found(superblock: [UInt8], start: Int, size: Int)
        case truncatedSignature(start: Int, size: Int)
    }

    /// Looks for the signature at offset 0, 512, 1024, 2048, ... as libhdf5 does.
    private static func find(inFileAt path: String) -> Search? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let end = try? handle.seekToEnd() else { return nil }
        let size = Int(clamping: end)
        func bytes(at offset: Int, count: Int) -> [UInt8] { read(handle, at: offset, count: count) }
        var start = 0
        while start < size {
            let head = bytes(at: start, count: signature.count)
            if head == signature {
                return .found(superblock: bytes(at: start, count: 256), start: start, size: size)
            }
            if head.count < signature.count, !head.isEmpty, Array(signature.prefix(head.count)) == head {
                return .truncatedSignature(start: start, size: size)
            }
            start = start == 0 ? 512 : start * 2
        }
        return nil
    }

    /// Where a superblock of each version keeps its fields (offsets from the signature).
    private struct Fields {
        let version: Int
        /// "Size of offsets" (bytes in an address) and "size of lengths".
        let addressSize: Int
        let lengthSize: Int
        /// The first address (the base address); the end-of-file address is the third.
        let addressesAt: Int
        let endOfFileAt: Int
        /// The root group's object header address: in the root group's symbol table entry after the four
        /// addresses (versions 0 and 1), or the fourth address (versions 2 and 3).
        let rootAddressAt: Int
        /// The whole superblock's size.
        let superblockSize: Int

        /// `nil` for a version libhdf5 does not read, a superblock too short for its sizes, or sizes it refuses.
        init?(_ superblock: [UInt8]) {
            guard superblock.count > 8 else { return nil }
            version = Int(superblock[8])
            let sizesAt: Int
            let fixedAfterAddresses: Int
            switch version {
            case 0: (sizesAt, addressesAt, fixedAfterAddresses) = (13, 24, 0)
            case 1: (sizesAt, addressesAt, fixedAfterAddresses) = (13, 28, 0)
            case 2, 3: (sizesAt, addressesAt, fixedAfterAddresses) = (9, 12, 4)
            default: return nil
            }
            guard superblock.count > sizesAt + 1 else { return nil }
            addressSize = Int(superblock[sizesAt])
            lengthSize = Int(superblock[sizesAt + 1])
            guard [2, 4, 8, 16, 32].contains(addressSize) else { return nil }
            endOfFileAt = addressesAt + 2 * addressSize
            // Versions 0 and 1 store four addresses (base, free space, end of file, driver information) and then
            // the root group's symbol table entry (link name offset, object header address, cache type, reserved,
            // 16-byte scratch pad); versions 2 and 3 store four (base, extension, end of file, root group object
            // header) and a 4-byte checksum.
            let rootEntrySize = version < 2 ? 8 + 2 * addressSize + 16 : 0
            rootAddressAt = version < 2 ? addressesAt + 5 * addressSize : addressesAt + 3 * addressSize
            superblockSize = addressesAt + 4 * addressSize + fixedAfterAddresses + rootEntrySize
        }
    }

    /// The truncation clause for the superblock whose first bytes (up to 256) are `superblock`, at `start` in a file
    /// of `fileSize` bytes; `nil` when the file is at least as long as the superblock says.
    private static func truncation(superblock: [UInt8], at start: Int, fileSize: Int) -> String? {
        guard superblock.count > 8 else {
            return "it is truncated: \(fileSize) bytes, which end right after the HDF5 signature at offset \(start)"
        }
        let version = Int(superblock[8])
        guard let fields = Fields(superblock) else {
            guard (0...3).contains(version), superblock.count <= (version < 2 ? 14 : 10) else { return nil }
            return "it is truncated: \(fileSize) bytes, which end inside its HDF5 superblock (version \(version)) at "
                + "offset \(start)"
        }
        guard superblock.count >= fields.endOfFileAt + fields.addressSize, fileSize - start >= fields.superblockSize
        else {
            return "it is truncated: \(fileSize) bytes, which end inside its HDF5 superblock (version \(version), "
                + "\(fields.superblockSize) bytes from offset \(start))"
        }
        let (addressesAt, addressSize, endOfFileAt) = (fields.addressesAt, fields.addressSize, fields.endOfFileAt)
        let base = HDF5GlobalHeap.littleEndian(superblock, at: addressesAt, size: addressSize)
        let endOfFile = HDF5GlobalHeap.littleEndian(superblock, at: endOfFileAt, size: addressSize)
        let (stored, overflow) = base.addingReportingOverflow(endOfFile)
        guard overflow || stored > UInt64(fileSize) else { return nil }
        let claim = overflow ? "beyond 2^64 bytes" : "\(stored) bytes"
        return "it is truncated: \(fileSize) bytes, but its HDF5 superblock says the file is \(claim)"
    }
}
