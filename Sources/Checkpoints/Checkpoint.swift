#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading and writing PyTorch (`.pth`/`.pt`, zip and legacy) and safetensors checkpoints, safely: pickles are
/// interpreted by a restricted unpickler that only builds state-dict objects and refuses any other global by
/// name; nothing a file names is imported or run, and no allocation is made from an unchecked header number.
///
/// Mirrors `torch.load(path, weights_only=True)` / `torch.save(state_dict, path)` for state dicts and
/// `safetensors.torch.load_file` / `save_file`.
public enum Checkpoint {
    /// The format of the file at `path`, decided by its first bytes (never by its extension).
    public static func detectFormat(path: String) throws -> CheckpointFormat {
        try MappedFile(path: path).withBytes { try CheckpointFormat.detect($0, path: path) }
    }

    /// The state dict stored in the file at `path`, in any of the three formats; the file is memory-mapped.
    public static func load(
        path: String,
        options: CheckpointLoadOptions = CheckpointLoadOptions()
    ) throws -> StateDict {
        try MappedFile(path: path).withBytes { try decode($0, name: path, options: options) }
    }

    /// The state dict stored in `bytes` (a whole checkpoint file); `name` stands for the file in messages.
    public static func decode(
        _ bytes: [UInt8], name: String,
        options: CheckpointLoadOptions = CheckpointLoadOptions()
    ) throws -> StateDict {
        guard !bytes.isEmpty else { throw CheckpointError.emptyFile(path: name) }
        return try bytes.withUnsafeBytes { try decode($0, name: name, options: options) }
    }

    /// Writes `stateDict` to `path` (replacing it atomically). With `format` nil, a `.safetensors` extension
    /// selects safetensors and anything else the torch zip format, whose top folder is the file's basename
    /// without extension, as `torch.save` names it.
    public static func save(_ stateDict: StateDict, to path: String, format: CheckpointFormat? = nil) throws {
        let fileName = path.split(separator: "/").last.map(String.init) ?? path
        let chosen = format ?? (fileName.lowercased().hasSuffix(".safetensors") ? .safetensors : .torchZip)
        let bytes = try encode(stateDict, format: chosen, archiveName: archiveName(forFileName: fileName), name: path)
        try writeAtomically(bytes, to: path)
    }

    /// The bytes of `stateDict` in `format`; `archiveName` is the zip format's top folder ("archive" is what
    /// `torch.save` uses for file objects); `name` stands for the file in messages.
    public static func encode(
        _ stateDict: StateDict, format: CheckpointFormat, archiveName: String = "archive",
        name: String = "<memory>"
    ) throws -> [UInt8] {
        switch format {
        case .torchZip: return try TorchWriter.zipArchive(stateDict, archiveName: archiveName, path: name)
        case .torchLegacy: return try TorchWriter.legacyFile(stateDict, path: name)
        case .safetensors: return try SafeTensorsFormat.encode(stateDict, path: name)
        }
    }

    // MARK: Internals

    static func decode(
        _ bytes: UnsafeRawBufferPointer, name: String,
        options: CheckpointLoadOptions
    ) throws -> StateDict {
        let stateDict: StateDict
        switch try CheckpointFormat.detect(bytes, path: name) {
        case .torchZip: stateDict = try TorchZipFormat.decode(bytes, path: name, options: options)
        case .torchLegacy: stateDict = try TorchLegacyFormat.decode(bytes, path: name, options: options)
        case .safetensors: stateDict = try SafeTensorsFormat.decode(bytes, path: name)
        }
        if let prefix = options.stripPrefix {
            return stateDict.removingPrefix(prefix)
        }
        if let prefix = stateDict.dataParallelPrefix, !options.keepPrefixedKeys {
            throw CheckpointError.prefixedKeys(path: name, prefix: prefix, count: stateDict.count)
        }
        return stateDict
    }

    /// torch's archive name for a file: its basename up to the last dot (`caffe2/serialize/inline_container.cc`).
    static func archiveName(forFileName fileName: String) -> String {
        guard let dot = fileName.lastIndex(of: "."), dot != fileName.startIndex else {
            return fileName.isEmpty ? "archive" : fileName
        }
        return String(fileName[..<dot])
    }

    private static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        do {
            try AtomicFile.write(bytes, to: path)
        } catch let error as AtomicFile.WriteError {
            throw CheckpointError.writeFailed(path: path, reason: error.reason)
        }
    }
}
