import Foundation

/// A pickle written opcode by opcode (protocol 2 framing), for hostile test files that are built from bytes and
/// never run: each method appends one opcode as `Lib/pickletools.py` documents it.
struct PickleProgram {
    var bytes: [UInt8] = [0x80, 0x02]

    /// GLOBAL `module.name` (opcode `c`, two newline-terminated lines).
    mutating func global(_ module: String, _ name: String) {
        bytes += [0x63] + Array("\(module)\n\(name)\n".utf8)
    }

    /// INST `module.name` (opcode `i`): calls the class with the items above the mark.
    mutating func inst(_ module: String, _ name: String) {
        bytes += [0x69] + Array("\(module)\n\(name)\n".utf8)
    }

    /// BINUNICODE: a str.
    mutating func string(_ text: String) {
        let utf8 = Array(text.utf8)
        bytes += [0x58] + withUnsafeBytes(of: UInt32(utf8.count).littleEndian) { Array($0) } + utf8
    }

    /// BININT1: a small int.
    mutating func int(_ value: UInt8) {
        bytes += [0x4B, value]
    }

    mutating func mark() { bytes.append(0x28) }
    mutating func tupleFromMark() { bytes.append(0x74) }
    mutating func tuple1() { bytes.append(0x85) }
    mutating func tuple2() { bytes.append(0x86) }
    mutating func emptyTuple() { bytes.append(0x29) }
    mutating func emptyList() { bytes.append(0x5D) }
    mutating func appends() { bytes.append(0x65) }
    mutating func reduce() { bytes.append(0x52) }
    mutating func stackGlobal() { bytes.append(0x93) }
    mutating func obj() { bytes.append(0x6F) }
    mutating func newObj() { bytes.append(0x81) }
    mutating func binPersId() { bytes.append(0x51) }
    mutating func stop() { bytes.append(0x2E) }

    /// `module.name(argument)`: GLOBAL, the argument as a 1-tuple, REDUCE - what `pickle` writes for an object
    /// whose `__reduce__` returns `(module.name, (argument,))`.
    mutating func call(_ module: String, _ name: String, _ argument: String) {
        global(module, name)
        string(argument)
        tuple1()
        reduce()
    }
}

/// The two container formats a hostile object pickle is tried in.
enum TorchContainer: String, CaseIterable, CustomStringConvertible {
    case zip, legacy

    var description: String { rawValue }

    /// A whole checkpoint file around `pickle` (a complete object pickle ending in STOP).
    func file(around pickle: [UInt8]) -> [UInt8] {
        switch self {
        case .zip:
            return storedZip([
                ("archive/data.pkl", pickle), ("archive/byteorder", Array("little".utf8)),
                ("archive/version", Array("3\n".utf8)),
            ])
        case .legacy:
            return legacyStream(object: pickle)
        }
    }
}

/// A zip archive of stored (uncompressed) records with CRC-32 0, as `torch.save(..., compute_crc32=False)` writes
/// them: local headers, then the central directory, then the end record. Names are written exactly as given.
func storedZip(_ records: [(name: String, data: [UInt8])]) -> [UInt8] {
    func le16(_ value: Int) -> [UInt8] { withUnsafeBytes(of: UInt16(value).littleEndian) { Array($0) } }
    func le32(_ value: Int) -> [UInt8] { withUnsafeBytes(of: UInt32(value).littleEndian) { Array($0) } }
    var file: [UInt8] = []
    var directory: [UInt8] = []
    for (name, data) in records {
        let nameBytes = Array(name.utf8)
        let offset = file.count
        let common = le16(20) + le16(0) + le16(0) + le16(0) + le16(0) + le32(0) + le32(data.count) + le32(data.count)
        file += le32(0x0403_4B50) + common + le16(nameBytes.count) + le16(0) + nameBytes + data
        directory += le32(0x0201_4B50) + le16(20) + common + le16(nameBytes.count) + le16(0) + le16(0) + le16(0)
        directory += le16(0) + le32(0) + le32(offset) + nameBytes
    }
    let end =
        le32(0x0605_4B50) + le16(0) + le16(0) + le16(records.count) + le16(records.count) + le32(directory.count)
        + le32(file.count) + le16(0)
    return file + directory + end
}
