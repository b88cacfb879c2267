/// Entry points for the fuzz targets (`Fuzz/`): the same readers `Checkpoint.decode` uses, reachable one at a
/// time so a fuzzer's mutations stay inside one format. Not API: import with `@_spi(Fuzzing) import Checkpoints`.
extension Checkpoint {
    /// The state dict in `bytes` read as `format`, whatever its first bytes say (`Checkpoint.decode` detects the
    /// format first; this skips only that step).
    @_spi(Fuzzing)
    public static func decode(
        _ bytes: UnsafeRawBufferPointer, name: String, as format: CheckpointFormat,
        options: CheckpointLoadOptions = CheckpointLoadOptions()
    ) throws -> StateDict {
        guard !bytes.isEmpty else { throw CheckpointError.emptyFile(path: name) }
        switch format {
        case .torchZip: return try TorchZipFormat.decode(bytes, path: name, options: options)
        case .torchLegacy: return try TorchLegacyFormat.decode(bytes, path: name, options: options)
        case .safetensors: return try SafeTensorsFormat.decode(bytes, path: name)
        }
    }

    /// Runs the restricted unpickler alone over one pickle stream (a `data.pkl`) to its STOP opcode, with every
    /// storage persistent id accepted, and returns the Python type name of the object it built.
    @_spi(Fuzzing)
    public static func unpickle(_ bytes: UnsafeRawBufferPointer, name: String) throws -> String {
        var unpickler = Unpickler(bytes, path: name, source: "pickle")
        let value = try unpickler.load()
        return value.typeName(in: unpickler.heap)
    }
}
