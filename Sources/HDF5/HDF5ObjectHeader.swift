#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An object header read from the file with `pread`, chunk by chunk, as libhdf5 reads it (HDF5 file format spec,
/// "Data Object Headers": a version-1 prefix or a version-2 `OHDR` chunk, then every continuation chunk its
/// continuation messages name).
///
/// libhdf5 1.10.8 allocates a chunk's buffer from the length the header stores before it reads the chunk: a
/// continuation message claiming 1,061,109,567 bytes in a 14,528-byte file made `H5Fopen` allocate 1 GB while loading
/// the root group's header (`H5C_protect` -> `H5O__cache_chk_deserialize`), found by the `hdf5` fuzz target. Reading
/// the header first and refusing a chunk that does not lie inside the file keeps libhdf5 from ever seeing it: before
/// `H5Fopen` for the root group, and before an object is opened for every other one.
struct HDF5ObjectHeader {
    /// One header message: its type (0x10 a continuation, 0x0C an attribute, ...), flags and data.
    struct Message {
        /// The message type.
        let type: Int
        /// The message flags (bit 1: the data is a reference to a shared message).
        let flags: UInt8
        /// The message data.
        let data: [UInt8]
        /// The address of the chunk holding the message.
        let chunk: UInt64
    }

    /// The header's address (relative to `HDF5FileLayout.baseAddress`).
    let address: UInt64
    /// Every message of every chunk, in the order libhdf5 reads them.
    let messages: [Message]

    /// The most chunks read from one header; libhdf5 has no such limit, but no file this project reads has more.
    static let maximumChunks = 256

    /// Reads the header at `address` in the file at `path`.
    ///
    /// - Returns: `nil` when its prefix is not a header version libhdf5 reads (libhdf5 refuses it by itself, before
    ///   any allocation from its fields).
    /// - Throws: `HDF5GlobalHeap.Corruption` naming the chunk when one does not lie inside the file.
    static func read(
        at address: UInt64, layout: HDF5FileLayout, path: String
    ) throws(HDF5GlobalHeap.Corruption) -> HDF5ObjectHeader? {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw HDF5GlobalHeap.Corruption(reason: "the file cannot be read again") }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw HDF5GlobalHeap.Corruption(reason: "the file's size cannot be read")
        }
        return try read(at: address, layout: layout, descriptor: descriptor, fileSize: UInt64(max(status.st_size, 0)))
    }

    private static func read(
        at address: UInt64, layout: HDF5FileLayout, descriptor: Int32, fileSize: UInt64
    ) throws(HDF5GlobalHeap.Corruption) -> HDF5ObjectHeader? {
        let header = "the object header at address \(address)"
        /// The `count` bytes at `chunkAddress`; throws when they are not all inside the file.
        func bytes(
            at chunkAddress: UInt64, count: UInt64, what: @autoclosure () -> String
        ) throws(HDF5GlobalHeap.Corruption) -> [UInt8] {
            let (offset, overflow) = layout.baseAddress.addingReportingOverflow(chunkAddress)
            guard !overflow, offset <= fileSize, count <= fileSize - offset else {
                throw HDF5GlobalHeap.Corruption(
                    reason: "\(what()) (at address \(chunkAddress), \(count) bytes) does not fit in the file's "
                        + "\(fileSize) bytes")
            }
            return try HDF5GlobalHeap.read(descriptor, at: offset, count: Int(count))
        }
        let prefix = try bytes(at: address, count: 16, what: header)
        let version2 = prefix.starts(with: Array("OHDR".utf8))
        // Version 2 messages carry a 2-byte creation order when the header tracks it (bit 2 of its flags).
        let creationOrder = version2 && prefix[5] & 0x04 != 0 ? 2 : 0
        // Chunks still to parse: address, where their messages start and end, and their bytes.
        var chunks: [(address: UInt64, start: Int, end: Int, bytes: [UInt8])] = []
        if version2 {
            guard prefix[4] == 2 else { return nil }
            let flags = prefix[5]
            let sizeBytes = 1 << Int(flags & 0x03)
            let sizeAt = 6 + (flags & 0x20 != 0 ? 16 : 0) + (flags & 0x10 != 0 ? 4 : 0)
            let head = try bytes(at: address, count: UInt64(sizeAt + sizeBytes), what: header)
            let size = HDF5GlobalHeap.littleEndian(head, at: sizeAt, size: sizeBytes)
            let start = sizeAt + sizeBytes
            let (total, overflow) = size.addingReportingOverflow(UInt64(start) + 4)  // and the checksum
            let chunk = try bytes(
                at: address, count: overflow ? .max : total, what: "the first chunk of \(header)")
            chunks.append((address, start, chunk.count - 4, chunk))
        } else {
            guard prefix[0] == 1 else { return nil }
            let size = HDF5GlobalHeap.littleEndian(prefix, at: 8, size: 4)
            let chunk = try bytes(at: address, count: 16 + size, what: "the first chunk of \(header)")
            chunks.append((address, 16, chunk.count, chunk))
        }
        var messages: [Message] = []
        var visited = 0
        while !chunks.isEmpty {
            let chunk = chunks.removeFirst()
            visited += 1
            guard visited <= maximumChunks else {
                throw HDF5GlobalHeap.Corruption(reason: "\(header) has more than \(maximumChunks) chunks")
            }
            var position = chunk.start
            let messageHeader = version2 ? 4 : 8
            let data = chunk.bytes
            while position + messageHeader <= chunk.end {
                let type =
                    version2 ? Int(data[position]) : Int(HDF5GlobalHeap.littleEndian(data, at: position, size: 2))
                let size = Int(HDF5GlobalHeap.littleEndian(data, at: position + (version2 ? 1 : 2), size: 2))
                let flags = data[position + (version2 ? 3 : 4)]
                let dataStart = position + messageHeader + creationOrder
                guard dataStart + size <= chunk.end else { break }
                let message = Array(data[dataStart..<(dataStart + size)])
                position = dataStart + size
                messages.append(Message(type: type, flags: flags, data: message, chunk: chunk.address))
                guard type == 0x10, message.count >= layout.addressSize + layout.lengthSize else { continue }
                // A continuation: the next chunk's address and length (signature and checksum included in v2).
                let next = HDF5GlobalHeap.littleEndian(message, at: 0, size: layout.addressSize)
                let length = HDF5GlobalHeap.littleEndian(message, at: layout.addressSize, size: layout.lengthSize)
                let block = try bytes(at: next, count: length, what: "a continuation chunk of \(header)")
                if version2 {
                    guard block.count >= 8, block.starts(with: Array("OCHK".utf8)) else { continue }
                    chunks.append((next, 4, block.count - 4, block))
                } else {
                    chunks.append((next, 0, block.count, block))
                }
            }
        }
        return HDF5ObjectHeader(address: address, messages: messages)
    }
}
