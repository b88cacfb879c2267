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

    /// The file's layout (base address, address and length sizes) and the address of its root group's object
    /// header, as the superblock stores them; `nil` when no whole superblock of a version libhdf5 reads is found.
    static func rootGroup(ofFileAt path: String) -> (layout: HDF5FileLayout, address: UInt64)? {
        guard case let .found(superblock, start, _) = find(inFileAt: path),
            let fields = Fields(superblock), superblock.count >= fields.rootAddressAt + fields.addressSize
        else { return nil }
        // Addresses are relative to the base address; libhdf5 takes the superblock's own offset (the user block's
        // size) for it whatever the superblock stores (`H5F__super_read`).
        let layout = HDF5FileLayout(
            baseAddress: UInt64(start), addressSize: fields.addressSize, lengthSize: fields.lengthSize)
        return (layout, HDF5GlobalHeap.littleEndian(superblock, at: fields.rootAddressAt, size: fields.addressSize))
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
        func bytes(at offset: Int, count: Int) -> [UInt8] {
            guard (try? handle.seek(toOffset: UInt64(offset))) != nil else { return [] }
            return [UInt8]((try? handle.read(upToCount: count)) ?? Data())
        }
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
