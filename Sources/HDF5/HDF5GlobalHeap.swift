import CHDF5

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a file encodes addresses and lengths, and where its HDF5 data starts (after any user block).
struct HDF5FileLayout: Equatable {
    /// The byte offset in the file that HDF5 addresses are relative to (the user block's size, usually 0).
    let baseAddress: UInt64
    /// Bytes in a stored address ("size of offsets" in the superblock: 2, 4, 8, 16 or 32).
    let addressSize: Int
    /// Bytes in a stored length ("size of lengths").
    let lengthSize: Int
}

extension HDF5FileLayout {
    /// The layout of the open `file`, from its creation property list.
    init(_ file: HDF5File) throws {
        let properties = try file.check(H5Fget_create_plist(file.id), "reading the file's creation properties", at: "/")
        defer { H5Pclose(properties) }
        var addressSize = 0
        var lengthSize = 0
        var userBlock: hsize_t = 0
        try file.check(H5Pget_sizes(properties, &addressSize, &lengthSize), "reading the file's address size", at: "/")
        try file.check(H5Pget_userblock(properties, &userBlock), "reading the file's user block size", at: "/")
        self.init(baseAddress: UInt64(userBlock), addressSize: addressSize, lengthSize: lengthSize)
    }
}

/// One variable-length string element as the file stores it (in an attribute's data): the string's length, the
/// address of the global heap collection holding its bytes and the object's index in that collection.
struct HDF5StoredString: Equatable {
    /// The string's length in bytes, as stored beside the reference.
    let length: UInt64
    /// The address (relative to `HDF5FileLayout.baseAddress`) of the global heap collection; 0 for no string.
    let collection: UInt64
    /// The object's index in the collection.
    let index: UInt64

    /// Decodes the stored element: 4-byte little-endian length, `layout.addressSize`-byte collection address,
    /// 4-byte index; `nil` when `bytes` is shorter than that.
    init?(_ bytes: [UInt8], layout: HDF5FileLayout) {
        guard bytes.count >= 8 + layout.addressSize else { return nil }
        length = HDF5GlobalHeap.littleEndian(bytes, at: 0, size: 4)
        collection = HDF5GlobalHeap.littleEndian(bytes, at: 4, size: layout.addressSize)
        index = HDF5GlobalHeap.littleEndian(bytes, at: 4 + layout.addressSize, size: 4)
    }
}

/// Checks of a file's global heap (where HDF5 keeps variable-length data) made before libhdf5 reads from it.
///
/// libhdf5 1.10.8 trusts the heap: `H5HG__cache_heap_deserialize` walks a collection's objects by their stored sizes
/// (a free-space object of size 0 loops forever; a huge size walks out of the collection) and `H5HG_read` indexes
/// the object table with the reference's index unchecked and copies the object's own size into a buffer sized from
/// the length stored beside the reference. These checks read the collection's bytes from the file with `pread`
/// and parse it the way libhdf5 does (HDF5 file format spec, "Global Heap"), refusing what would mislead it.
enum HDF5GlobalHeap {
    /// libhdf5's smallest collection (`H5HG_MINSIZE`); it always reads at least this much.
    static let minimumCollectionSize: UInt64 = 4096

    /// Why a stored variable-length string cannot be read safely.
    struct Corruption: Error, Equatable {
        /// What is wrong, naming the collection's address and the object.
        let reason: String
    }

    /// Checks that `string`'s global heap collection lies inside the file at `path` (of `fileSize` bytes), that
    /// every object header in it stays inside it, and that it holds object `string.index` (not the free-space
    /// object 0) of exactly `string.length` bytes. A null reference (collection address 0) holds no bytes and
    /// passes.
    ///
    /// - Throws: `Corruption` with the reason, or when the file cannot be read.
    static func check(_ string: HDF5StoredString, layout: HDF5FileLayout, path: String) throws(Corruption) {
        guard string.collection != 0 else { return }
        let collection = try readCollection(at: string.collection, layout: layout, path: path)
        let objects = try objectSizes(collection, at: string.collection, layout: layout)
        let at = "global heap collection at address \(string.collection)"
        guard string.index > 0, let size = objects[string.index] else {
            throw Corruption(
                reason: "it refers to object \(string.index) of the \(at), which holds objects "
                    + "\(objects.keys.filter { $0 > 0 }.sorted())")
        }
        guard size == string.length else {
            throw Corruption(
                reason: "its stored length \(string.length) disagrees with the \(size) bytes of object "
                    + "\(string.index) in the \(at)")
        }
    }

    /// The bytes of the collection at `address`, after checking its signature, version and size against the file.
    private static func readCollection(
        at address: UInt64, layout: HDF5FileLayout, path: String
    ) throws(Corruption) -> [UInt8] {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw Corruption(reason: "the file cannot be read again to check it") }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw Corruption(reason: "the file's size cannot be read") }
        let fileSize = UInt64(max(status.st_size, 0))
        let (offset, overflow) = layout.baseAddress.addingReportingOverflow(address)
        let headerSize = 8 + layout.lengthSize
        guard !overflow, offset < fileSize, fileSize - offset >= minimumCollectionSize else {
            throw Corruption(
                reason: "its global heap collection address \(address) is not inside the file's \(fileSize) bytes "
                    + "(a collection takes at least \(minimumCollectionSize))")
        }
        let header = try read(descriptor, at: offset, count: headerSize)
        guard header.starts(with: Array("GCOL".utf8)), header[4] == 1 else {
            throw Corruption(reason: "no version-1 global heap collection ('GCOL') is at address \(address)")
        }
        let size = littleEndian(header, at: 8, size: layout.lengthSize)
        guard size >= minimumCollectionSize, size <= fileSize - offset else {
            throw Corruption(
                reason: "the global heap collection at address \(address) claims \(size) bytes; it must hold at least "
                    + "\(minimumCollectionSize) and fit in the \(fileSize - offset) bytes left in the file")
        }
        return try read(descriptor, at: offset, count: Int(size))
    }

    /// The size of every object in `collection` by index, walking the objects as `H5HG__cache_heap_deserialize`
    /// does; throws where that walk would loop or leave the collection. Index 0 is the free space, whose size counts
    /// its own header.
    static func objectSizes(
        _ collection: [UInt8], at address: UInt64, layout: HDF5FileLayout
    ) throws(Corruption) -> [UInt64: UInt64] {
        let headerSize = aligned(8 + layout.lengthSize)  // H5HG_SIZEOF_HDR: signature, version, reserved, size
        let objectHeaderSize = UInt64(aligned(8 + layout.lengthSize))  // index, references, reserved, size
        let end = UInt64(collection.count)
        var position = UInt64(headerSize)
        var sizes: [UInt64: UInt64] = [:]
        while position < end {
            // A tail too small for an object header is free space, as libhdf5 takes it.
            if end - position < objectHeaderSize { break }
            let start = Int(position)
            let index = littleEndian(collection, at: start, size: 2)
            let size = littleEndian(collection, at: start + 8, size: layout.lengthSize)
            // An object takes its header and its data padded to 8 bytes; the free space's size counts its header.
            var needed = size
            if index > 0 {
                let (padded, paddingOverflow) = size.addingReportingOverflow(7)
                let (total, headerOverflow) = (padded & ~7).addingReportingOverflow(objectHeaderSize)
                needed = paddingOverflow || headerOverflow ? .max : total
            }
            guard needed >= objectHeaderSize, needed <= end - position else {
                throw Corruption(
                    reason: "object \(index) at offset \(position) of the global heap collection at address "
                        + "\(address) claims \(size) bytes, "
                        + (needed < objectHeaderSize
                            ? "less than its own \(objectHeaderSize)-byte header"
                            : "past the collection's end (\(end) bytes)"))
            }
            sizes[index] = size
            position += needed
        }
        return sizes
    }

    /// `count` bytes of the open file `descriptor` from `offset`.
    static func read(_ descriptor: Int32, at offset: UInt64, count: Int) throws(Corruption) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let got = bytes.withUnsafeMutableBytes { buffer in
                pread(descriptor, buffer.baseAddress! + done, count - done, off_t(offset) + off_t(done))
            }
            guard got > 0 else {
                throw Corruption(reason: "the file ended while reading \(count) bytes at offset \(offset)")
            }
            done += got
        }
        return bytes
    }

    /// The little-endian unsigned number of `size` bytes at `offset` in `bytes` (only the low 8 bytes of a longer
    /// field count; a longer field with any higher byte set reads as `UInt64.max`).
    static func littleEndian(_ bytes: [UInt8], at offset: Int, size: Int) -> UInt64 {
        var value: UInt64 = 0
        for byte in 0..<min(size, 8) {
            value |= UInt64(bytes[offset + byte]) << (8 * UInt64(byte))
        }
        if size > 8, bytes[(offset + 8)..<(offset + size)].contains(where: { $0 != 0 }) { return .max }
        return value
    }

    /// `size` rounded up to a multiple of 8 (`H5HG_ALIGN`).
    private static func aligned(_ size: Int) -> Int { (size + 7) & ~7 }
}
