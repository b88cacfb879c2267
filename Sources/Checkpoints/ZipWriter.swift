/// Writes a zip archive the way torch's `PyTorchStreamWriter` drives miniz (`caffe2/serialize/inline_container.cc`,
/// `mz_zip_writer_add_mem_ex_v2`): stored entries, no timestamps, each record's data aligned to 64 bytes by an
/// "FB" extra field of 'Z' padding, a data descriptor after every non-empty record (64-bit sizes only when the
/// entry needs ZIP64), and ZIP64 end records always present.
struct ZipWriter {
    static let alignment = 64
    private static let limit32 = 0xFFFF_FFFF

    private(set) var output: [UInt8] = []
    private var centralDirectory: [UInt8] = []
    private var entryCount = 0
    /// `hash_combine` of every record's CRC-32, which torch folds into the serialization id.
    private(set) var combinedChecksum: UInt64 = 0

    /// Appends a stored record called `name` (the full path, top folder included).
    mutating func add(_ name: String, _ data: [UInt8]) {
        let nameBytes = Array(name.utf8)
        let offset = output.count
        let needsZip64 = data.count >= Self.limit32 || offset >= Self.limit32
        let crc = data.isEmpty ? 0 : CRC32.checksum(data)
        let flags: UInt16 = data.isEmpty ? 0x0800 : 0x0808
        var zip64Local: [UInt8] = []
        if needsZip64 {
            zip64Local = Self.zip64Extra(
                size: data.count >= Self.limit32 ? data.count : nil,
                offset: offset >= Self.limit32 ? offset : nil)
        }
        let extra = zip64Local + Self.padding(after: offset + 30 + nameBytes.count + zip64Local.count + 4)

        output.appendLittleEndian(UInt32(0x0403_4B50))
        output.appendLittleEndian(UInt16(0))
        output.appendLittleEndian(flags)
        output += [UInt8](repeating: 0, count: 18)
        output.appendLittleEndian(UInt16(nameBytes.count))
        output.appendLittleEndian(UInt16(extra.count))
        output += nameBytes
        output += extra
        output += data
        if !data.isEmpty {
            output.appendLittleEndian(UInt32(0x0807_4B50))
            output.appendLittleEndian(crc)
            if needsZip64 {
                output.appendLittleEndian(UInt64(data.count))
                output.appendLittleEndian(UInt64(data.count))
            } else {
                output.appendLittleEndian(UInt32(data.count))
                output.appendLittleEndian(UInt32(data.count))
            }
            combinedChecksum = Self.hashCombine(combinedChecksum, UInt64(crc))
        }

        let central =
            needsZip64
            ? Self.zip64Extra(
                size: data.count >= Self.limit32 ? data.count : nil,
                offset: offset >= Self.limit32 ? offset : nil)
            : []
        centralDirectory.appendLittleEndian(UInt32(0x0201_4B50))
        centralDirectory.appendLittleEndian(UInt32(0))
        centralDirectory.appendLittleEndian(flags)
        centralDirectory += [UInt8](repeating: 0, count: 6)
        centralDirectory.appendLittleEndian(crc)
        centralDirectory.appendLittleEndian(UInt32(min(data.count, Self.limit32)))
        centralDirectory.appendLittleEndian(UInt32(min(data.count, Self.limit32)))
        centralDirectory.appendLittleEndian(UInt16(nameBytes.count))
        centralDirectory.appendLittleEndian(UInt16(central.count))
        centralDirectory += [UInt8](repeating: 0, count: 10)
        centralDirectory.appendLittleEndian(UInt32(min(offset, Self.limit32)))
        centralDirectory += nameBytes
        centralDirectory += central
        entryCount += 1
    }

    /// The finished archive: entries, central directory, ZIP64 end record and locator, end record.
    mutating func finish() -> [UInt8] {
        let directoryOffset = output.count
        output += centralDirectory
        let zip64RecordOffset = output.count
        output.appendLittleEndian(UInt32(0x0606_4B50))
        output.appendLittleEndian(UInt64(44))
        output.appendLittleEndian(UInt16(0x031E))
        output.appendLittleEndian(UInt16(45))
        output.appendLittleEndian(UInt64(0))
        output.appendLittleEndian(UInt64(entryCount))
        output.appendLittleEndian(UInt64(entryCount))
        output.appendLittleEndian(UInt64(centralDirectory.count))
        output.appendLittleEndian(UInt64(directoryOffset))
        output.appendLittleEndian(UInt32(0x0706_4B50))
        output.appendLittleEndian(UInt32(0))
        output.appendLittleEndian(UInt64(zip64RecordOffset))
        output.appendLittleEndian(UInt32(1))
        output.appendLittleEndian(UInt32(0x0605_4B50))
        output.appendLittleEndian(UInt32(0))
        output.appendLittleEndian(UInt16(min(entryCount, 0xFFFF)))
        output.appendLittleEndian(UInt16(min(entryCount, 0xFFFF)))
        output.appendLittleEndian(UInt32(min(centralDirectory.count, Self.limit32)))
        output.appendLittleEndian(UInt32(min(directoryOffset, Self.limit32)))
        output.appendLittleEndian(UInt16(0))
        return output
    }

    /// The "FB" extra field whose 'Z' padding makes data starting after it (at `start` + padding) 64-byte aligned.
    private static func padding(after start: Int) -> [UInt8] {
        let count = (alignment - start % alignment) % alignment
        return [UInt8(ascii: "F"), UInt8(ascii: "B"), UInt8(count & 0xFF), UInt8(count >> 8)]
            + [UInt8](repeating: UInt8(ascii: "Z"), count: count)
    }

    /// miniz's ZIP64 extended-information field: sizes (uncompressed, compressed) and/or the header offset.
    private static func zip64Extra(size: Int?, offset: Int?) -> [UInt8] {
        var fields: [UInt8] = []
        if let size {
            fields.appendLittleEndian(UInt64(size))
            fields.appendLittleEndian(UInt64(size))
        }
        if let offset {
            fields.appendLittleEndian(UInt64(offset))
        }
        var extra: [UInt8] = []
        extra.appendLittleEndian(UInt16(1))
        extra.appendLittleEndian(UInt16(fields.count))
        return extra + fields
    }

    /// `c10::hash_combine`, as torch uses it to fold record checksums into the serialization id.
    static func hashCombine(_ seed: UInt64, _ value: UInt64) -> UInt64 {
        seed ^ (value &+ 0x9E37_79B9 &+ (seed << 6) &+ (seed >> 2))
    }
}
