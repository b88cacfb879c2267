/// A bounds-checked little-endian cursor over untrusted bytes: every read checks the remaining length first
/// and throws ``CheckpointError/truncated(path:detail:)`` naming `what` was being read, never traps.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    let path: String
    /// What these bytes are, for messages ("archive/data.pkl", "safetensors header").
    let what: String
    var position: Int

    init(_ bytes: UnsafeRawBufferPointer, path: String, what: String, position: Int = 0) {
        self.bytes = bytes
        self.path = path
        self.what = what
        self.position = position
    }

    var remaining: Int {
        bytes.count - position
    }

    var isAtEnd: Bool {
        position >= bytes.count
    }

    /// Throws unless `count` more bytes are available.
    func require(_ count: Int, for item: String) throws {
        guard count >= 0, count <= remaining else {
            throw CheckpointError.truncated(
                path: path,
                detail: "\(what) ends at byte \(bytes.count) but \(item) at byte \(position) needs \(count) bytes")
        }
    }

    mutating func readUInt8(_ item: String) throws -> UInt8 {
        try require(1, for: item)
        defer { position += 1 }
        return bytes[position]
    }

    mutating func readUInt16(_ item: String) throws -> UInt16 {
        try require(2, for: item)
        defer { position += 2 }
        return UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: UInt16.self))
    }

    mutating func readUInt32(_ item: String) throws -> UInt32 {
        try require(4, for: item)
        defer { position += 4 }
        return UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: UInt32.self))
    }

    mutating func readUInt64(_ item: String) throws -> UInt64 {
        try require(8, for: item)
        defer { position += 8 }
        return UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: UInt64.self))
    }

    /// The next `count` bytes as a view into the same memory.
    mutating func readBytes(_ count: Int, _ item: String) throws -> UnsafeRawBufferPointer {
        try require(count, for: item)
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count)])
    }

    /// Bytes up to (not including) the next `\n`, at most `limit` of them; the newline is consumed.
    mutating func readLine(limit: Int, _ item: String) throws -> UnsafeRawBufferPointer {
        let end = min(bytes.count, position + limit + 1)
        guard let newline = (position..<end).first(where: { bytes[$0] == UInt8(ascii: "\n") }) else {
            throw CheckpointError.truncated(
                path: path, detail: "\(what): \(item) at byte \(position) has no newline within \(limit) bytes")
        }
        defer { position = newline + 1 }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<newline])
    }
}

/// A UTF-8 string from untrusted bytes, or nil when they are not valid UTF-8.
func validUTF8(_ bytes: UnsafeRawBufferPointer) -> String? {
    let string = String(decoding: bytes, as: UTF8.self)
    return string.utf8.elementsEqual(bytes) ? string : nil
}

/// Little-endian encoding helpers for writers.
extension Array where Element == UInt8 {
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    mutating func append(_ string: String) {
        append(contentsOf: Array(string.utf8))
    }
}
