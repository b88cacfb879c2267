/// The safetensors format (huggingface/safetensors, `safetensors/src/tensor.rs`): an 8-byte little-endian header
/// length N, N bytes of JSON `{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}}`,
/// then the data buffer. Reading enforces what the reference implementation validates: N <= 100 MB, a JSON object,
/// offsets that tile the buffer exactly (contiguous, non-overlapping, ending at the end of the file) and sizes equal
/// to numel x dtype size, all checked before a tensor is allocated.
enum SafeTensorsFormat {
    /// `MAX_HEADER_SIZE` of the reference implementation.
    static let maximumHeaderSize = 100_000_000
    /// The header member holding free-form string metadata.
    static let metadataKey = "__metadata__"
    /// safetensors types that exist but have no ``CheckpointDType``.
    private static let otherKnownTypes: Set<String> = [
        "U16", "U32", "U64", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2", "C64",
    ]

    private struct Entry {
        var key: String
        var dtype: CheckpointDType
        var shape: [Int]
        var begin: Int
        var end: Int
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, path: String) throws -> StateDict {
        var reader = ByteReader(bytes, path: path, what: "safetensors file")
        let declared = try reader.readUInt64("header length")
        guard declared <= UInt64(maximumHeaderSize) else {
            throw headerError(path, "header length \(declared) exceeds the 100 MB limit")
        }
        let header = try reader.readBytes(Int(declared), "JSON header of \(declared) bytes")
        guard header.first == UInt8(ascii: "{") else { throw headerError(path, "the header does not start with '{'") }
        let json: JSON
        do {
            json = try JSON.parse(header)
        } catch let error as JSONSyntaxError {
            throw headerError(path, "invalid JSON: \(error.detail)")
        }
        guard case let .object(members) = json else { throw headerError(path, "the header is not a JSON object") }
        var result = StateDict()
        var entries: [Entry] = []
        for (key, value) in members {
            if key == metadataKey {
                result.metadata = try metadata(value, path: path)
            } else {
                entries.append(try entry(key, value, path: path))
            }
        }
        let buffer = UnsafeRawBufferPointer(rebasing: bytes[reader.position...])
        try checkLayout(entries, bufferSize: buffer.count, path: path)
        for entry in entries {
            let data = UnsafeRawBufferPointer(rebasing: buffer[entry.begin..<entry.end])
            let strides = StridedLayout.contiguousStrides(entry.shape)
            let layout = StridedLayout(shape: entry.shape, strides: strides, offset: 0)
            let count = data.count / entry.dtype.elementSize
            let values = ElementCodec.decode(data, dtype: entry.dtype, bigEndian: false, layout: layout, count: count)
            result[entry.key] = CheckpointTensor(shape: entry.shape, dtype: entry.dtype, values: values)
        }
        return result
    }

    /// The offsets, sorted, must tile `0 ..< bufferSize` and each size must equal numel x element size.
    private static func checkLayout(_ entries: [Entry], bufferSize: Int, path: String) throws {
        var expected = 0
        for entry in entries.sorted(by: { ($0.begin, $0.end) < ($1.begin, $1.end) }) {
            guard entry.begin == expected else {
                let problem =
                    entry.begin < expected
                    ? "overlaps the previous tensor" : "leaves a gap after byte \(expected)"
                throw entryError(path, entry.key, "data_offsets [\(entry.begin), \(entry.end)] \(problem)")
            }
            guard entry.end >= entry.begin, entry.end <= bufferSize else {
                throw entryError(
                    path, entry.key,
                    "data_offsets [\(entry.begin), \(entry.end)] are outside the "
                        + "\(bufferSize)-byte data buffer")
            }
            let count = CheckpointTensor.checkedElementCount(entry.shape)
            let (bytes, overflow) = (count ?? 0).multipliedReportingOverflow(by: entry.dtype.elementSize)
            guard count != nil, !overflow, bytes == entry.end - entry.begin else {
                throw entryError(
                    path, entry.key,
                    "shape \(entry.shape) of \(entry.dtype) needs "
                        + "\(overflow || count == nil ? "an overflowing number of" : String(bytes)) bytes "
                        + "but data_offsets "
                        + "span \(entry.end - entry.begin)")
            }
            expected = entry.end
        }
        guard expected == bufferSize else {
            throw headerError(path, "tensors cover \(expected) bytes but the data buffer holds \(bufferSize)")
        }
    }

    private static func entry(_ key: String, _ value: JSON, path: String) throws -> Entry {
        guard case let .object(fields) = value else { throw entryError(path, key, "not a JSON object") }
        func field(_ name: String) throws -> JSON {
            guard let found = fields.first(where: { $0.key == name }) else {
                throw entryError(path, key, "no '\(name)'")
            }
            return found.value
        }
        guard case let .string(typeName) = try field("dtype") else {
            throw entryError(path, key, "dtype is not a string")
        }
        guard let dtype = CheckpointDType(safeTensorsName: typeName) else {
            if otherKnownTypes.contains(typeName) {
                throw CheckpointError.unsupportedDType(path: path, key: key, dtype: typeName)
            }
            throw entryError(path, key, "unknown dtype '\(typeName)'")
        }
        let shape = try naturals(try field("shape"), path: path, key: key, what: "shape")
        let offsets = try naturals(try field("data_offsets"), path: path, key: key, what: "data_offsets")
        guard offsets.count == 2 else { throw entryError(path, key, "data_offsets must be [begin, end]") }
        return Entry(key: key, dtype: dtype, shape: shape, begin: offsets[0], end: offsets[1])
    }

    private static func naturals(_ value: JSON, path: String, key: String, what: String) throws -> [Int] {
        guard case let .array(items) = value else { throw entryError(path, key, "\(what) is not an array") }
        return try items.map { item in
            guard case let .integer(number) = item, number >= 0 else {
                throw entryError(path, key, "\(what) must hold integers >= 0")
            }
            return number
        }
    }

    private static func metadata(_ value: JSON, path: String) throws -> [String: String] {
        guard case let .object(fields) = value else { throw headerError(path, "\(metadataKey) is not an object") }
        var result: [String: String] = [:]
        for (key, item) in fields {
            guard case let .string(text) = item else {
                throw headerError(path, "\(metadataKey)['\(key)'] is not a string")
            }
            result[key] = text
        }
        return result
    }

    static func headerError(_ path: String, _ detail: String) -> CheckpointError {
        .invalidSafeTensorsHeader(path: path, detail: detail)
    }

    static func entryError(_ path: String, _ key: String, _ detail: String) -> CheckpointError {
        .invalidSafeTensorsEntry(path: path, key: key, detail: detail)
    }
}
