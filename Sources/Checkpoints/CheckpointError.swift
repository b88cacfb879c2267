/// Everything that can go wrong reading or writing a checkpoint.
///
/// Every case names the file (or the in-memory name given to ``Checkpoint/decode(_:name:options:)``) and, where
/// one is at fault, the record, storage, key, opcode or global, so a message alone tells what to fix.
public enum CheckpointError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file could not be opened or read (`reason` is the system's message).
    case cannotOpen(path: String, reason: String)
    /// The path is a directory or another non-regular file.
    case notARegularFile(path: String, kind: String)
    /// The file holds no bytes.
    case emptyFile(path: String)
    /// The first bytes match none of the known formats.
    case unknownFormat(path: String, detail: String)
    /// A recognised format this reader deliberately does not handle (TorchScript, tar-era files, compression).
    case unsupportedFormat(path: String, detail: String)
    /// The file ends before a structure it declares.
    case truncated(path: String, detail: String)
    /// The zip container is inconsistent (bad signature, offsets out of range, duplicate names...).
    case corruptArchive(path: String, detail: String)
    /// A record the checkpoint refers to is absent from the archive.
    case missingRecord(path: String, record: String, detail: String)
    /// A zip record's CRC-32 does not match its bytes.
    case checksumMismatch(path: String, record: String, stored: UInt32, computed: UInt32)
    /// The pickle names a global outside the allowlist; nothing was imported or called.
    case forbiddenGlobal(path: String, location: String, global: String)
    /// The pickle uses an opcode this restricted unpickler does not implement.
    case unknownOpcode(path: String, location: String, opcode: UInt8)
    /// The pickle is structurally wrong (stack underflow, wrong argument types, bad memo index...).
    case malformedPickle(path: String, location: String, detail: String)
    /// A storage is inconsistent with its record (size, dtype, element count).
    case invalidStorage(path: String, storage: String, detail: String)
    /// A tensor's shape, strides or offset do not fit its storage.
    case invalidTensor(path: String, key: String, detail: String)
    /// A tensor uses an element type this module cannot represent.
    case unsupportedDType(path: String, key: String, dtype: String)
    /// The file decodes, but not to a mapping from names to tensors.
    case notAStateDict(path: String, detail: String)
    /// The state dict is wrapped in a training checkpoint (`{"state_dict": ..., "epoch": ...}`).
    case wrappedStateDict(path: String, candidates: [String], otherKeys: [String])
    /// Every key carries a prefix such as `module.` (saved from `nn.DataParallel`).
    case prefixedKeys(path: String, prefix: String, count: Int)
    /// The safetensors header is not valid (length, JSON, layout).
    case invalidSafeTensorsHeader(path: String, detail: String)
    /// One safetensors entry is not valid (dtype, shape, offsets).
    case invalidSafeTensorsEntry(path: String, key: String, detail: String)
    /// A tensor handed to the writer is inconsistent (value count, dtype, range).
    case invalidTensorForWriting(path: String, key: String, detail: String)
    /// The file could not be written.
    case writeFailed(path: String, reason: String)
    /// The checkpoint asks for more memory than its own size justifies.
    case resourceLimit(path: String, detail: String)

    /// The message: the file first, then what is wrong and, where it helps, how to load the file anyway.
    public var description: String {
        switch self {
        case let .cannotOpen(path, reason):
            return "\(path): cannot open checkpoint: \(reason)"
        case let .notARegularFile(path, kind):
            return "\(path): is a \(kind), not a checkpoint file"
        case let .emptyFile(path):
            return "\(path): the file is empty (0 bytes), not a checkpoint"
        case let .unknownFormat(path, detail):
            return "\(path): unknown checkpoint format: \(detail)"
        case let .unsupportedFormat(path, detail):
            return "\(path): unsupported checkpoint: \(detail)"
        case let .truncated(path, detail):
            return "\(path): truncated: \(detail)"
        case let .corruptArchive(path, detail):
            return "\(path): corrupt zip archive: \(detail)"
        case let .missingRecord(path, record, detail):
            return "\(path): missing record '\(record)': \(detail)"
        case let .checksumMismatch(path, record, stored, computed):
            return "\(path): record '\(record)' is corrupt: stored CRC-32 \(hex(stored)), computed \(hex(computed))"
        case let .forbiddenGlobal(path, location, global):
            return "\(path): refusing global '\(global)' (\(location)): only collections.OrderedDict, "
                + "torch._utils tensor/parameter rebuild functions and torch storage classes are allowed; "
                + "nothing a checkpoint names is ever imported or called"
        case let .unknownOpcode(path, location, opcode):
            let name = pickleOpcodeName(opcode).map { " \($0)" } ?? ""
            return "\(path): unknown or unsupported pickle opcode \(hex(opcode))\(name) (\(location))"
        case let .malformedPickle(path, location, detail):
            return "\(path): malformed pickle (\(location)): \(detail)"
        case let .invalidStorage(path, storage, detail):
            return "\(path): storage '\(storage)': \(detail)"
        case let .invalidTensor(path, key, detail):
            return "\(path): tensor '\(key)': \(detail)"
        case let .unsupportedDType(path, key, dtype):
            return "\(path): tensor '\(key)' has element type \(dtype), which this reader does not convert"
        case let .notAStateDict(path, detail):
            return "\(path): not a state dict: \(detail)"
        case let .wrappedStateDict(path, candidates, otherKeys):
            let inner = candidates.map { "'\($0)'" }.joined(separator: ", ")
            let others = otherKeys.isEmpty ? "" : " (other entries: \(otherKeys.joined(separator: ", ")))"
            return "\(path): this is a training checkpoint that wraps the state dict under \(inner)\(others); "
                + "load it with options unwrap: true or unwrapKey: \"\(candidates.first ?? "state_dict")\""
        case let .prefixedKeys(path, prefix, count):
            return "\(path): all \(count) keys start with '\(prefix)' (saved from nn.DataParallel or "
                + "DistributedDataParallel); load with stripPrefix: \"\(prefix)\" or keepPrefixedKeys: true"
        case let .invalidSafeTensorsHeader(path, detail):
            return "\(path): invalid safetensors header: \(detail)"
        case let .invalidSafeTensorsEntry(path, key, detail):
            return "\(path): invalid safetensors entry '\(key)': \(detail)"
        case let .invalidTensorForWriting(path, key, detail):
            return "\(path): cannot write tensor '\(key)': \(detail)"
        case let .writeFailed(path, reason):
            return "\(path): cannot write checkpoint: \(reason)"
        case let .resourceLimit(path, detail):
            return "\(path): refusing to allocate: \(detail)"
        }
    }
}

/// `0x` followed by the value in hexadecimal, for CRCs and opcodes in messages.
func hex<T: BinaryInteger>(_ value: T) -> String {
    "0x" + String(value, radix: 16)
}

/// pickle's name for `opcode` (`Lib/pickletools.py`) when it is one that this restricted unpickler refuses on
/// purpose, so a message says "0x6f OBJ" rather than a bare number.
func pickleOpcodeName(_ opcode: UInt8) -> String? {
    let names: [UInt8: String] = [
        0x69: "INST", 0x6F: "OBJ", 0x81: "NEWOBJ", 0x92: "NEWOBJ_EX", 0x82: "EXT1", 0x83: "EXT2", 0x84: "EXT4",
        0x50: "PERSID", 0x63: "GLOBAL", 0x93: "STACK_GLOBAL", 0x52: "REDUCE", 0x62: "BUILD", 0x96: "BYTEARRAY8",
        0x97: "NEXT_BUFFER", 0x98: "READONLY_BUFFER", 0x49: "INT", 0x4C: "LONG", 0x46: "FLOAT", 0x53: "STRING",
        0x56: "UNICODE", 0x67: "GET", 0x70: "PUT", 0x64: "DICT", 0x6C: "LIST", 0x30: "POP", 0x31: "POP_MARK",
        0x32: "DUP", 0x8B: "LONG4", 0x8D: "BINUNICODE8", 0x8E: "BINBYTES8", 0x8F: "EMPTY_SET", 0x90: "ADDITEMS",
        0x91: "FROZENSET",
    ]
    return names[opcode]
}
