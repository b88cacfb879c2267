/// Reading the zip format `torch.save` writes since torch 1.6 (`torch/serialization.py: _load`):
/// `<top>/data.pkl` (the pickle), `<top>/data/<key>` (raw storage bytes), optional `<top>/byteorder`.
///
/// The top folder is whatever precedes the first `/` of the first entry (torch uses the file's basename, or
/// `archive`); `version`, `.format_version`, `.storage_alignment` and `.data/serialization_id` are not needed.
enum TorchZipFormat {
    static func decode(
        _ bytes: UnsafeRawBufferPointer, path: String,
        options: CheckpointLoadOptions
    ) throws -> StateDict {
        let archive = try ZipArchive(bytes, path: path)
        guard let first = archive.entries.first else {
            throw CheckpointError.corruptArchive(path: path, detail: "the archive holds no records")
        }
        guard let slash = first.name.firstIndex(of: "/") else {
            throw CheckpointError.corruptArchive(
                path: path, detail: "record '\(first.name)' is not inside a top folder")
        }
        let top = String(first.name[...slash])
        if archive.entry(named: top + "constants.pkl") != nil {
            throw CheckpointError.unsupportedFormat(
                path: path,
                detail: "this is a TorchScript archive (torch.jit.save); save model.state_dict() with torch.save")
        }
        guard let pickleEntry = archive.entry(named: top + "data.pkl") else {
            throw CheckpointError.missingRecord(
                path: path, record: top + "data.pkl", detail: "a torch.save archive needs its pickle")
        }
        var storages = TorchStorageTable(path: path, fileSize: bytes.count)
        storages.bigEndian = try isBigEndian(archive, top: top, options: options)
        let pickle = try archive.contents(of: pickleEntry, verify: options.verifyChecksums)
        var unpickler = Unpickler(pickle, path: path, source: pickleEntry.name)
        unpickler.registerStorage = { reference in
            guard try storages.register(reference) else { return }
            let name = top + "data/" + reference.key
            guard let record = archive.entry(named: name) else {
                throw CheckpointError.missingRecord(
                    path: path, record: name,
                    detail: "storage '\(reference.key)' (\(reference.elementCount) \(reference.dtype) elements) "
                        + "has no data record")
            }
            let data = try archive.contents(of: record, verify: options.verifyChecksums)
            try storages.attach(data, to: reference.key, record: name)
        }
        let root = try unpickler.load()
        var decoder = TorchStateDictDecoder(path: path, heap: unpickler.heap, storages: storages, options: options)
        return try decoder.decode(root)
    }

    /// The `byteorder` record: "little" (also when absent, as torch assumes) or "big".
    private static func isBigEndian(_ archive: ZipArchive, top: String, options: CheckpointLoadOptions) throws -> Bool {
        guard let entry = archive.entry(named: top + "byteorder") else {
            return false
        }
        let text = validUTF8(try archive.contents(of: entry, verify: options.verifyChecksums))
        switch text {
        case "little": return false
        case "big": return true
        default:
            throw CheckpointError.corruptArchive(
                path: archive.path,
                detail: "record '\(entry.name)' says '\(text ?? "<binary>")', expected 'little' or 'big'")
        }
    }
}
