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
                return truncation(superblock: bytes(at: start, count: 256), at: start, fileSize: size)
            }
            if head.count < signature.count, !head.isEmpty, Array(signature.prefix(head.count)) == head {
                return "it is truncated: \(size) bytes, which end inside the HDF5 signature at offset \(start)"
            }
            start = start == 0 ? 512 : start * 2
        }
        return nil
    }

    /// The truncation clause for the superblock whose first bytes (up to 256) are `superblock`, at `start` in a file
    /// of `fileSize` bytes; `nil` when the file is at least as long as the superblock says.
    private static func truncation(superblock: [UInt8], at start: Int, fileSize: Int) -> String? {
        guard superblock.count > 8 else {
            return "it is truncated: \(fileSize) bytes, which end right after the HDF5 signature at offset \(start)"
        }
        let version = Int(superblock[8])
        // Offsets (from the signature) of "size of offsets" and of the first address (the base address), and the
        // index of the end-of-file address among the addresses that follow.
        let addressSizeAt: Int
        let addressesAt: Int
        let fixedAfterAddresses: Int
        let endOfFileIndex = 2
        switch version {
        case 0: (addressSizeAt, addressesAt, fixedAfterAddresses) = (13, 24, 0)
        case 1: (addressSizeAt, addressesAt, fixedAfterAddresses) = (13, 28, 0)
        case 2, 3: (addressSizeAt, addressesAt, fixedAfterAddresses) = (9, 12, 4)
        default: return nil
        }
        guard superblock.count > addressSizeAt else {
            return "it is truncated: \(fileSize) bytes, which end inside its HDF5 superblock (version \(version)) at "
                + "offset \(start)"
        }
        let addressSize = Int(superblock[addressSizeAt])
        guard [2, 4, 8, 16, 32].contains(addressSize) else { return nil }
        // Versions 0 and 1 store four addresses (base, free space, end of file, driver information) and then the
        // root group's symbol table entry; versions 2 and 3 store four (base, extension, end of file, root group
        // object header) and a 4-byte checksum.
        let rootEntrySize = version < 2 ? 8 + 2 * addressSize + 16 + addressSize : 0
        let superblockSize = addressesAt + 4 * addressSize + fixedAfterAddresses + rootEntrySize
        let endOfFileAt = addressesAt + endOfFileIndex * addressSize
        guard superblock.count >= endOfFileAt + addressSize, fileSize - start >= superblockSize else {
            return "it is truncated: \(fileSize) bytes, which end inside its HDF5 superblock (version \(version), "
                + "\(superblockSize) bytes from offset \(start))"
        }
        let base = HDF5GlobalHeap.littleEndian(superblock, at: addressesAt, size: addressSize)
        let endOfFile = HDF5GlobalHeap.littleEndian(superblock, at: endOfFileAt, size: addressSize)
        let (stored, overflow) = base.addingReportingOverflow(endOfFile)
        guard overflow || stored > UInt64(fileSize) else { return nil }
        let claim = overflow ? "beyond 2^64 bytes" : "\(stored) bytes"
        return "it is truncated: \(fileSize) bytes, but its HDF5 superblock says the file is \(claim)"
    }
}
