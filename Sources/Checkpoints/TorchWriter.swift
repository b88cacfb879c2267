/// Writing a ``StateDict`` as `torch.save` does: the zip format (default since torch 1.6) or the legacy format.
/// Each tensor gets its own storage (key "0", "1", ... in order); values are converted to the tensor's `dtype`.
enum TorchWriter {
    /// The record torch writes as `version` (`kProducedFileFormatVersion` followed by a newline).
    static let fileFormatVersion = "3\n"

    /// The zip archive `torch.save(state_dict, "<archiveName>.pth")` writes, record for record:
    /// `data.pkl`, `.format_version`, `.storage_alignment`, `byteorder`, `data/0...`, `version`,
    /// `.data/serialization_id`, all under the top folder `archiveName`.
    static func zipArchive(_ stateDict: StateDict, archiveName: String, path: String) throws -> [UInt8] {
        let (items, storages) = try prepare(stateDict, path: path)
        let pickle = TorchPickleEncoder(legacy: false).encode(items, moduleVersions: stateDict.moduleVersions)
        var writer = ZipWriter()
        var names: [String] = []
        func add(_ name: String, _ data: [UInt8]) {
            names.append(name)
            writer.add(archiveName + "/" + name, data)
        }
        add("data.pkl", pickle)
        add(".format_version", Array("1".utf8))
        add(".storage_alignment", Array(String(ZipWriter.alignment).utf8))
        add("byteorder", Array("little".utf8))
        for (index, data) in storages.enumerated() {
            add("data/\(index)", data)
        }
        add("version", Array(fileFormatVersion.utf8))
        add(".data/serialization_id", Array(serializationID(names: names, checksum: writer.combinedChecksum).utf8))
        return writer.finish()
    }

    /// The legacy stream `torch.save(state_dict, f, _use_new_zipfile_serialization=False)` writes.
    static func legacyFile(_ stateDict: StateDict, path: String) throws -> [UInt8] {
        let (items, storages) = try prepare(stateDict, path: path)
        var output: [UInt8] = [0x80, 0x02, 0x8A, UInt8(TorchLegacyFormat.magicNumber.count)]
        output += TorchLegacyFormat.magicNumber + [0x2E]
        var version = PickleWriter()
        version.int(TorchLegacyFormat.protocolVersion)
        version.stop()
        output += version.bytes
        output += systemInfoPickle()
        output += TorchPickleEncoder(legacy: true).encode(items, moduleVersions: stateDict.moduleVersions)
        let order = items.indices.sorted { items[$0].storageKey < items[$1].storageKey }
        var keyList = PickleWriter()
        keyList.emptyList()
        keyList.appends(count: order.count) { writer, index in writer.string(items[order[index]].storageKey) }
        keyList.stop()
        output += keyList.bytes
        for index in order {
            output.appendLittleEndian(Int64(items[index].tensor.values.count))
            output += storages[index]
        }
        return output
    }

    /// The pickle items and the storage bytes for every tensor, after validating each one.
    private static func prepare(
        _ stateDict: StateDict, path: String
    ) throws
        -> (items: [TorchPickleEncoder.Item], storages: [[UInt8]])
    {
        var items: [TorchPickleEncoder.Item] = []
        var storages: [[UInt8]] = []
        for (index, entry) in stateDict.entries.enumerated() {
            storages.append(try entry.tensor.encodedForWriting(key: entry.key, path: path))
            items.append(.init(key: entry.key, storageKey: String(index), tensor: entry.tensor))
        }
        return (items, storages)
    }

    /// `{'protocol_version': 1001, 'little_endian': True, 'type_sizes': {'short': 2, 'int': 4, 'long': 4}}`.
    private static func systemInfoPickle() -> [UInt8] {
        var writer = PickleWriter()
        writer.emptyDict()
        writer.setItems(count: 3) { writer, index in
            switch index {
            case 0:
                writer.string("protocol_version")
                writer.int(TorchLegacyFormat.protocolVersion)
            case 1:
                writer.string("little_endian")
                writer.bool(true)
            default:
                writer.string("type_sizes")
                writer.emptyDict()
                let sizes = [("short", 2), ("int", 4), ("long", 4)]
                writer.setItems(count: sizes.count) { writer, item in
                    writer.string(sizes[item].0)
                    writer.int(sizes[item].1)
                }
            }
        }
        writer.stop()
        return writer.bytes
    }

    /// A 40-digit id like torch's: a 20-digit hash of the record names, then the 20-digit combined CRC.
    private static func serializationID(names: [String], checksum: UInt64) -> String {
        var namesHash: UInt64 = 0
        for name in names {
            var fnv: UInt64 = 0xCBF2_9CE4_8422_2325
            for byte in name.utf8 {
                fnv = (fnv ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
            }
            namesHash = ZipWriter.hashCombine(namesHash, fnv)
        }
        return padded(namesHash) + padded(checksum)
    }

    private static func padded(_ value: UInt64) -> String {
        let digits = String(value)
        return String(repeating: "0", count: 20 - digits.count) + digits
    }
}
