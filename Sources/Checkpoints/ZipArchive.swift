/// A minimal zip reader for `torch.save` archives: it walks the central directory (ZIP64 included) and hands out
/// stored (uncompressed) entries as views into the file's bytes. Compressed or encrypted entries are reported,
/// not decoded. Every offset and size from the file is range-checked before use.
struct ZipArchive {
    struct Entry {
        var name: String
        var method: UInt16
        var flags: UInt16
        var crc32: UInt32
        var compressedSize: Int
        var size: Int
        var localHeaderOffset: Int
    }

    let path: String
    let bytes: UnsafeRawBufferPointer
    private(set) var entries: [Entry] = []
    private var byName: [String: Int] = [:]

    private static let endOfCentralDirectorySize = 22
    private static let maximumCommentLength = 0xFFFF

    init(_ bytes: UnsafeRawBufferPointer, path: String) throws {
        self.path = path
        self.bytes = bytes
        let directory = try centralDirectoryLocation()
        var reader = ByteReader(bytes, path: path, what: "zip central directory", position: directory.offset)
        for number in 0..<directory.count {
            let entry = try readCentralEntry(&reader, number: number)
            guard byName[entry.name] == nil else {
                throw CheckpointError.corruptArchive(path: path, detail: "record '\(entry.name)' appears twice")
            }
            byName[entry.name] = entries.count
            entries.append(entry)
        }
    }

    /// True for an entry name that would leave a folder if used as a path: absolute (`/x`, `\\x`, `C:x`), or with a
    /// `..` component, or holding a NUL.
    static func isUnsafeName(_ name: String) -> Bool {
        let components = name.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "/" || $0 == "\\" })
        let drive = name.count >= 2 && name.dropFirst().first == ":" && name.first?.isLetter == true
        return name.hasPrefix("/") || name.hasPrefix("\\") || drive || components.contains("..") || name.contains("\0")
    }

    /// The entry called `name`, or nil.
    func entry(named name: String) -> Entry? {
        byName[name].map { entries[$0] }
    }

    /// The bytes of a stored entry, checked against its CRC-32 unless `verify` is false or the CRC is 0
    /// (torch writes 0 when saving with `compute_crc32=False`).
    func contents(of entry: Entry, verify: Bool) throws -> UnsafeRawBufferPointer {
        guard entry.flags & 1 == 0 else {
            throw CheckpointError.unsupportedFormat(path: path, detail: "record '\(entry.name)' is encrypted")
        }
        guard entry.method == 0 else {
            throw CheckpointError.unsupportedFormat(
                path: path,
                detail: "record '\(entry.name)' is compressed (zip method \(entry.method)); torch.save stores "
                    + "records uncompressed and this reader only reads stored records: re-save with torch.save")
        }
        guard entry.compressedSize == entry.size else {
            throw CheckpointError.corruptArchive(
                path: path,
                detail: "stored record '\(entry.name)' has size \(entry.size) "
                    + "but compressed size \(entry.compressedSize)")
        }
        var reader = ByteReader(
            bytes, path: path, what: "zip local header of '\(entry.name)'",
            position: entry.localHeaderOffset)
        try reader.require(30, for: "the local header")
        guard try reader.readUInt32("signature") == 0x0403_4B50 else {
            throw CheckpointError.corruptArchive(
                path: path, detail: "no local header signature at byte \(entry.localHeaderOffset) for '\(entry.name)'")
        }
        reader.position += 22
        let nameLength = Int(try reader.readUInt16("name length"))
        let extraLength = Int(try reader.readUInt16("extra length"))
        reader.position = entry.localHeaderOffset + 30 + nameLength + extraLength
        guard reader.position <= bytes.count, entry.size <= bytes.count - reader.position else {
            throw CheckpointError.truncated(
                path: path,
                detail: "record '\(entry.name)' declares \(entry.size) bytes from byte \(reader.position) "
                    + "but the file has \(bytes.count) bytes")
        }
        let data = try reader.readBytes(entry.size, "record '\(entry.name)'")
        if verify, entry.crc32 != 0 {
            let computed = CRC32.checksum(data)
            guard computed == entry.crc32 else {
                throw CheckpointError.checksumMismatch(
                    path: path, record: entry.name, stored: entry.crc32,
                    computed: computed)
            }
        }
        return data
    }

    /// Finds the end-of-central-directory record (and its ZIP64 form) and returns where the directory is.
    private func centralDirectoryLocation() throws -> (offset: Int, count: Int) {
        let minimum = Self.endOfCentralDirectorySize
        guard bytes.count >= minimum else {
            throw CheckpointError.truncated(path: path, detail: "\(bytes.count) bytes cannot hold a zip directory")
        }
        let lowest = max(0, bytes.count - minimum - Self.maximumCommentLength)
        guard
            let end = stride(from: bytes.count - minimum, through: lowest, by: -1).first(where: { position in
                bytes.loadUnaligned(fromByteOffset: position, as: UInt32.self) == UInt32(0x0605_4B50).littleEndian
            })
        else {
            throw CheckpointError.truncated(path: path, detail: "no zip end-of-central-directory record found")
        }
        var reader = ByteReader(bytes, path: path, what: "zip end-of-central-directory record", position: end + 10)
        var count = Int(try reader.readUInt16("entry count"))
        var size = Int(try reader.readUInt32("directory size"))
        var offset = Int(try reader.readUInt32("directory offset"))
        var limit = end
        let locatorSignature = UInt32(0x0706_4B50).littleEndian
        if end >= 20, bytes.loadUnaligned(fromByteOffset: end - 20, as: UInt32.self) == locatorSignature {
            var locator = ByteReader(bytes, path: path, what: "ZIP64 locator", position: end - 12)
            let recordOffset = try locator.readUInt64("ZIP64 record offset")
            guard recordOffset <= UInt64(end - 20), end - 20 - Int(recordOffset) >= 56 else {
                throw CheckpointError.corruptArchive(
                    path: path, detail: "ZIP64 end record offset \(recordOffset) is outside the file")
            }
            var record = ByteReader(bytes, path: path, what: "ZIP64 end record", position: Int(recordOffset))
            guard try record.readUInt32("signature") == 0x0606_4B50 else {
                throw CheckpointError.corruptArchive(path: path, detail: "bad ZIP64 end record signature")
            }
            record.position += 28
            let count64 = try record.readUInt64("entry count")
            let size64 = try record.readUInt64("directory size")
            let offset64 = try record.readUInt64("directory offset")
            guard count64 <= UInt64(bytes.count), size64 <= UInt64(bytes.count), offset64 <= UInt64(bytes.count) else {
                throw CheckpointError.corruptArchive(
                    path: path,
                    detail: "ZIP64 directory (\(count64) entries, \(size64) bytes at \(offset64)) exceeds the file")
            }
            (count, size, offset, limit) = (Int(count64), Int(size64), Int(offset64), Int(recordOffset))
        }
        guard offset <= limit, size <= limit - offset else {
            throw CheckpointError.corruptArchive(
                path: path, detail: "central directory (\(size) bytes at byte \(offset)) overlaps its end record")
        }
        guard count <= size / 46 else {
            throw CheckpointError.corruptArchive(
                path: path, detail: "\(count) entries cannot fit in a \(size)-byte central directory")
        }
        return (offset, count)
    }

    private func readCentralEntry(_ reader: inout ByteReader, number: Int) throws -> Entry {
        let start = reader.position
        guard try reader.readUInt32("central header signature") == 0x0201_4B50 else {
            throw CheckpointError.corruptArchive(
                path: path, detail: "entry \(number): no central header at byte \(start)")
        }
        reader.position += 4
        let flags = try reader.readUInt16("flags")
        let method = try reader.readUInt16("method")
        reader.position += 4
        let crc = try reader.readUInt32("CRC-32")
        var compressedSize = UInt64(try reader.readUInt32("compressed size"))
        var size = UInt64(try reader.readUInt32("size"))
        let nameLength = Int(try reader.readUInt16("name length"))
        let extraLength = Int(try reader.readUInt16("extra length"))
        let commentLength = Int(try reader.readUInt16("comment length"))
        reader.position += 8
        var localHeaderOffset = UInt64(try reader.readUInt32("local header offset"))
        guard let name = validUTF8(try reader.readBytes(nameLength, "entry name")) else {
            throw CheckpointError.corruptArchive(path: path, detail: "entry \(number): name is not valid UTF-8")
        }
        guard !Self.isUnsafeName(name) else {
            throw CheckpointError.corruptArchive(
                path: path,
                detail: "entry \(number): name '\(name.debugDescription.dropFirst().dropLast())' is absolute or "
                    + "climbs out with '..' (no torch.save record is named so; entry names are never used as paths)")
        }
        var extra = ByteReader(
            try reader.readBytes(extraLength, "extra field of '\(name)'"), path: path,
            what: "extra field of '\(name)'")
        while extra.remaining >= 4 {
            let tag = try extra.readUInt16("extra tag")
            let length = Int(try extra.readUInt16("extra length"))
            var field = ByteReader(
                try extra.readBytes(length, "extra field"), path: path,
                what: "ZIP64 field of '\(name)'")
            guard tag == 0x0001 else { continue }
            if size == 0xFFFF_FFFF { size = try field.readUInt64("size") }
            if compressedSize == 0xFFFF_FFFF { compressedSize = try field.readUInt64("compressed size") }
            if localHeaderOffset == 0xFFFF_FFFF { localHeaderOffset = try field.readUInt64("local header offset") }
        }
        reader.position += commentLength
        let fileSize = UInt64(bytes.count)
        guard size <= fileSize, compressedSize <= fileSize, localHeaderOffset < fileSize else {
            throw CheckpointError.corruptArchive(
                path: path,
                detail: "entry '\(name)' declares size \(size) at byte \(localHeaderOffset) in a \(fileSize)-byte file")
        }
        return Entry(
            name: name, method: method, flags: flags, crc32: crc, compressedSize: Int(compressedSize),
            size: Int(size), localHeaderOffset: Int(localHeaderOffset))
    }
}
