/// Writing safetensors. The JSON header lists tensors in the state dict's order; the data buffer places them
/// grouped by element size, largest first, in that order within a group, so every tensor's data is aligned to
/// its element size (what the reference writer achieves by sorting on dtype). The header is padded with spaces
/// to a multiple of 8 bytes, as the reference writer does.
extension SafeTensorsFormat {
    static func encode(_ stateDict: StateDict, path: String) throws -> [UInt8] {
        var buffers: [[UInt8]] = []
        for entry in stateDict.entries {
            guard entry.key != metadataKey else {
                throw CheckpointError.invalidTensorForWriting(
                    path: path, key: entry.key,
                    detail: "the name is reserved for metadata")
            }
            buffers.append(try entry.tensor.encodedForWriting(key: entry.key, path: path))
        }
        let entries = stateDict.entries
        let placement = entries.indices.sorted { left, right in
            let leftSize = entries[left].tensor.dtype.elementSize
            let rightSize = entries[right].tensor.dtype.elementSize
            return leftSize != rightSize ? leftSize > rightSize : left < right
        }
        var offsets = [Int](repeating: 0, count: entries.count)
        var end = 0
        for index in placement {
            offsets[index] = end
            end += buffers[index].count
        }

        var members: [String] = []
        if !stateDict.metadata.isEmpty {
            let fields = stateDict.metadata.sorted { $0.key < $1.key }.map { key, value in
                JSON.quoted(key) + ":" + JSON.quoted(value)
            }
            members.append(JSON.quoted(metadataKey) + ":{" + fields.joined(separator: ",") + "}")
        }
        for (index, entry) in entries.enumerated() {
            let shape = entry.tensor.shape.map(String.init).joined(separator: ",")
            let range = "\(offsets[index]),\(offsets[index] + buffers[index].count)"
            members.append(
                JSON.quoted(entry.key) + ":{\"dtype\":\"\(entry.tensor.dtype.safeTensorsName)\","
                    + "\"shape\":[\(shape)],\"data_offsets\":[\(range)]}")
        }
        var header = Array(("{" + members.joined(separator: ",") + "}").utf8)
        header += [UInt8](repeating: UInt8(ascii: " "), count: (8 - header.count % 8) % 8)

        var output: [UInt8] = []
        output.reserveCapacity(8 + header.count + end)
        output.appendLittleEndian(UInt64(header.count))
        output += header
        for index in placement {
            output += buffers[index]
        }
        return output
    }
}
