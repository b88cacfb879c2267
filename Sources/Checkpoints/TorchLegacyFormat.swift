/// Reading the legacy format (`torch.save(..., _use_new_zipfile_serialization=False)` and every file written
/// before torch 1.6; `torch/serialization.py: _legacy_load`): five pickles in a row - the magic number, the
/// protocol version 1001, a `sys_info` dict, the object, the list of storage keys - then, for each listed key,
/// an int64 element count followed by the storage's raw bytes.
enum TorchLegacyFormat {
    /// `torch.serialization.MAGIC_NUMBER` = 0x1950a86a20f9469cfc6c as pickle's LONG1 stores it (little-endian).
    static let magicNumber: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]
    /// `torch.serialization.PROTOCOL_VERSION`.
    static let protocolVersion = 1001

    static func decode(
        _ bytes: UnsafeRawBufferPointer, path: String,
        options: CheckpointLoadOptions
    ) throws -> StateDict {
        var position = 0
        let magic = try unpickle(bytes, path: path, at: &position, part: "magic number pickle")
        guard case .bigInt(magicNumber) = magic.value else {
            throw CheckpointError.unknownFormat(
                path: path, detail: "a pickle, but not a torch.save file (no torch magic number)")
        }
        let version = try unpickle(bytes, path: path, at: &position, part: "protocol version pickle")
        guard case .int(protocolVersion) = version.value else {
            throw CheckpointError.unsupportedFormat(
                path: path, detail: "legacy protocol version is not \(protocolVersion)")
        }
        let systemInfo = try unpickle(bytes, path: path, at: &position, part: "sys_info pickle")
        var storages = TorchStorageTable(path: path, fileSize: bytes.count)
        storages.bigEndian = try isBigEndian(systemInfo.value, heap: systemInfo.heap, path: path)

        var objectUnpickler = Unpickler(bytes, path: path, source: "object pickle", position: position)
        objectUnpickler.registerStorage = { reference in try storages.register(reference) }
        let root = try objectUnpickler.load()
        position = objectUnpickler.reader.position

        let keyList = try unpickle(bytes, path: path, at: &position, part: "storage key list pickle")
        var reader = ByteReader(bytes, path: path, what: "legacy storage data", position: position)
        for key in try storageKeys(keyList.value, heap: keyList.heap, path: path) {
            guard let storage = storages.storages[key] else {
                throw CheckpointError.invalidStorage(
                    path: path, storage: key, detail: "listed for writing but never named in the pickle")
            }
            let count = Int64(bitPattern: try reader.readUInt64("element count of storage '\(key)'"))
            guard count == Int64(storage.elementCount) else {
                throw CheckpointError.invalidStorage(
                    path: path, storage: key,
                    detail: "the pickle declares \(storage.elementCount) elements but the data section \(count)")
            }
            let (length, overflow) = storage.elementCount.multipliedReportingOverflow(by: storage.dtype.elementSize)
            guard !overflow else {
                throw CheckpointError.invalidStorage(path: path, storage: key, detail: "\(count) elements overflow")
            }
            let data = try reader.readBytes(
                length, "\(storage.elementCount) \(storage.dtype) elements of storage '\(key)'")
            try storages.attach(data, to: key, record: "the data section at byte \(reader.position - length)")
        }
        var decoder = TorchStateDictDecoder(
            path: path, heap: objectUnpickler.heap, storages: storages,
            options: options)
        return try decoder.decode(root)
    }

    private static func unpickle(
        _ bytes: UnsafeRawBufferPointer, path: String, at position: inout Int,
        part: String
    ) throws -> (value: PickleValue, heap: PickleHeap) {
        var unpickler = Unpickler(bytes, path: path, source: part, position: position)
        let value = try unpickler.load()
        position = unpickler.reader.position
        return (value, unpickler.heap)
    }

    /// `sys_info["little_endian"]`, which torch records when saving.
    private static func isBigEndian(_ info: PickleValue, heap: PickleHeap, path: String) throws -> Bool {
        guard case let .dict(index) = info else {
            throw CheckpointError.malformedPickle(
                path: path, location: "sys_info pickle", detail: "a \(info.typeName(in: heap)), not a dict")
        }
        guard case let .bool(littleEndian)? = heap.dicts[index].value(forKey: "little_endian") else {
            return false
        }
        return !littleEndian
    }

    private static func storageKeys(_ list: PickleValue, heap: PickleHeap, path: String) throws -> [String] {
        guard case let .list(index) = list else {
            throw CheckpointError.malformedPickle(
                path: path, location: "storage key list pickle", detail: "a \(list.typeName(in: heap)), not a list")
        }
        return try heap.lists[index].map { item in
            guard case let .string(key) = item else {
                throw CheckpointError.malformedPickle(
                    path: path, location: "storage key list pickle",
                    detail: "a key is a \(item.typeName(in: heap)), not a str")
            }
            return key
        }
    }
}
