/// A restricted pickle virtual machine for torch checkpoints (protocol 2, plus the few protocol 3-4 opcodes
/// a `pickle_protocol=4` save adds). It mirrors `torch._weights_only_unpickler.Unpickler`: globals are matched
/// against ``TorchGlobal`` and refused by name otherwise; REDUCE and BUILD only "call" allowlisted globals,
/// and the unpickler builds the result itself. Every length and index from the stream is checked first.
struct Unpickler {
    let path: String
    /// The record or stream being read, for messages ("archive/data.pkl").
    let source: String
    var reader: ByteReader
    var heap = PickleHeap()
    /// Called for each storage persistent id (BINPERSID), to register the storage with the format reader.
    var registerStorage: (StorageReference) throws -> Void

    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]
    private var opcodeOffset = 0

    private static let maximumGlobalNameLength = 256

    init(
        _ bytes: UnsafeRawBufferPointer, path: String, source: String, position: Int = 0,
        registerStorage: @escaping (StorageReference) throws -> Void = { _ in }
    ) {
        self.path = path
        self.source = source
        self.reader = ByteReader(bytes, path: path, what: source, position: position)
        self.registerStorage = registerStorage
    }

    /// Where the current opcode is, for messages.
    var location: String {
        "\(source), opcode at byte \(opcodeOffset)"
    }

    /// Runs the stream to its STOP opcode and returns the object built; `reader.position` is then just past STOP.
    mutating func load() throws -> PickleValue {
        stack = []
        marks = []
        while true {
            opcodeOffset = reader.position
            let opcode = try reader.readUInt8("pickle opcode")
            if opcode == 0x2E {
                return try pop()
            }
            try execute(opcode)
        }
    }

    private mutating func execute(_ opcode: UInt8) throws {
        switch opcode {
        case 0x80:
            let protocolVersion = try reader.readUInt8("PROTO argument")
            guard protocolVersion <= 5 else { throw malformed("pickle protocol \(protocolVersion) does not exist") }
        case 0x95: _ = try reader.readUInt64("FRAME length")
        case 0x28: marks.append(stack.count)
        case 0x29: stack.append(.tuple([]))
        case 0x74: stack.append(.tuple(try popMark()))
        case 0x85: stack.append(.tuple(try pop(1)))
        case 0x86: stack.append(.tuple(try pop(2)))
        case 0x87: stack.append(.tuple(try pop(3)))
        case 0x5D: stack.append(heap.newList())
        case 0x61: try appendToList(try pop(1))
        case 0x65: try appendToList(try popMark())
        case 0x7D: stack.append(heap.newDict(ordered: false))
        case 0x73: try setItems(try pop(2))
        case 0x75: try setItems(try popMark())
        case 0x4E: stack.append(.null)
        case 0x88: stack.append(.bool(true))
        case 0x89: stack.append(.bool(false))
        case 0x4B: stack.append(.int(Int(try reader.readUInt8("BININT1 argument"))))
        case 0x4D: stack.append(.int(Int(try reader.readUInt16("BININT2 argument"))))
        case 0x4A: stack.append(.int(Int(Int32(bitPattern: try reader.readUInt32("BININT argument")))))
        case 0x8A: stack.append(try readLong())
        case 0x47: stack.append(.float(Double(bitPattern: UInt64(bigEndian: try readRawUInt64()))))
        case 0x58: stack.append(try readText(length: Int(try reader.readUInt32("BINUNICODE length"))))
        case 0x8C: stack.append(try readText(length: Int(try reader.readUInt8("SHORT_BINUNICODE length"))))
        case 0x55: stack.append(try readPython2String(length: Int(try reader.readUInt8("SHORT_BINSTRING length"))))
        case 0x54: stack.append(try readPython2String(length: try readSignedLength("BINSTRING length")))
        case 0x43: stack.append(try readBytes(length: Int(try reader.readUInt8("SHORT_BINBYTES length"))))
        case 0x42: stack.append(try readBytes(length: Int(try reader.readUInt32("BINBYTES length"))))
        case 0x68: try pushMemo(Int(try reader.readUInt8("BINGET index")))
        case 0x6A: try pushMemo(Int(try reader.readUInt32("LONG_BINGET index")))
        case 0x71: memo[Int(try reader.readUInt8("BINPUT index"))] = try top()
        case 0x72: memo[Int(try reader.readUInt32("LONG_BINPUT index"))] = try top()
        case 0x94: memo[memo.count] = try top()
        case 0x63: stack.append(try readGlobal())
        case 0x93: stack.append(try stackGlobal())
        case 0x69: try refuseInstance()
        case 0x51: stack.append(try persistentLoad(try pop()))
        case 0x52:
            let arguments = try pop()
            let callable = try pop()
            stack.append(try call(callable, arguments))
        case 0x62: try build(state: try pop(), on: try top())
        default:
            throw CheckpointError.unknownOpcode(path: path, location: location, opcode: opcode)
        }
    }

    func malformed(_ detail: String) -> CheckpointError {
        .malformedPickle(path: path, location: location, detail: detail)
    }

    // MARK: Stack

    private var floor: Int {
        marks.last ?? 0
    }

    private mutating func pop() throws -> PickleValue {
        guard stack.count > floor else { throw malformed("stack underflow") }
        return stack.removeLast()
    }

    private mutating func pop(_ count: Int) throws -> [PickleValue] {
        guard stack.count - floor >= count else { throw malformed("stack underflow: \(count) items needed") }
        defer { stack.removeLast(count) }
        return Array(stack.suffix(count))
    }

    private func top() throws -> PickleValue {
        guard stack.count > floor, let value = stack.last else { throw malformed("stack underflow") }
        return value
    }

    private mutating func popMark() throws -> [PickleValue] {
        guard let mark = marks.popLast() else { throw malformed("no MARK to pop to") }
        defer { stack.removeSubrange(mark...) }
        return Array(stack[mark...])
    }

    private mutating func pushMemo(_ index: Int) throws {
        guard let value = memo[index] else { throw malformed("memo index \(index) was never stored") }
        stack.append(value)
    }

    // MARK: Containers

    private mutating func appendToList(_ items: [PickleValue]) throws {
        guard case let .list(index) = try top() else {
            throw malformed("APPEND(S) target is a \(try top().typeName(in: heap)), not a list")
        }
        heap.lists[index].append(contentsOf: items)
    }

    private mutating func setItems(_ items: [PickleValue]) throws {
        guard items.count % 2 == 0 else { throw malformed("SETITEMS with an odd number of items") }
        guard case let .dict(index) = try top() else {
            throw malformed("SETITEM(S) target is a \(try top().typeName(in: heap)), not a dict")
        }
        for pair in stride(from: 0, to: items.count, by: 2) {
            heap.dicts[index].set(items[pair], items[pair + 1])
        }
    }

    // MARK: Scalars

    private mutating func readRawUInt64() throws -> UInt64 {
        let bytes = try reader.readBytes(8, "BINFLOAT argument")
        return bytes.loadUnaligned(as: UInt64.self)
    }

    private mutating func readSignedLength(_ item: String) throws -> Int {
        let length = Int32(bitPattern: try reader.readUInt32(item))
        guard length >= 0 else { throw malformed("negative \(item) \(length)") }
        return Int(length)
    }

    /// LONG1: a little-endian two's complement integer of up to 255 bytes.
    private mutating func readLong() throws -> PickleValue {
        let bytes = Array(try reader.readBytes(Int(try reader.readUInt8("LONG1 length")), "LONG1 digits"))
        guard let last = bytes.last else { return .int(0) }
        let fill: UInt8 = last & 0x80 == 0 ? 0 : 0xFF
        if bytes.count > 8, bytes[8...].contains(where: { $0 != fill }) || (bytes[7] & 0x80 == 0) != (fill == 0) {
            return .bigInt(bytes)
        }
        var value: UInt64 = fill == 0 ? 0 : UInt64.max
        for (position, byte) in bytes.prefix(8).enumerated() {
            value &= ~(UInt64(0xFF) << (8 * position))
            value |= UInt64(byte) << (8 * position)
        }
        return .int(Int(Int64(bitPattern: value)))
    }

    private mutating func readBytes(length: Int) throws -> PickleValue {
        .bytes(Array(try reader.readBytes(length, "bytes of length \(length)")))
    }

    /// A unicode string opcode's payload, which must be valid UTF-8.
    private mutating func readText(length: Int) throws -> PickleValue {
        guard let text = validUTF8(try reader.readBytes(length, "string of \(length) bytes")) else {
            throw malformed("string is not valid UTF-8")
        }
        return .string(text)
    }

    /// A Python 2 `str` payload: text when it is valid UTF-8 (what `torch.load`'s default encoding gives),
    /// bytes otherwise.
    private mutating func readPython2String(length: Int) throws -> PickleValue {
        let bytes = try reader.readBytes(length, "string of \(length) bytes")
        return validUTF8(bytes).map(PickleValue.string) ?? .bytes(Array(bytes))
    }

    /// GLOBAL: `module\nname\n` inline, matched against the allowlist.
    private mutating func readGlobal() throws -> PickleValue {
        let (module, name) = try readGlobalName("GLOBAL")
        return try resolveGlobal(module: module, name: name)
    }

    /// STACK_GLOBAL (protocol 4): the module and name are the two strings on top of the stack.
    private mutating func stackGlobal() throws -> PickleValue {
        let parts = try pop(2)
        guard case let .string(module) = parts[0], case let .string(name) = parts[1] else {
            throw malformed(
                "STACK_GLOBAL needs two str, found \(parts[0].typeName(in: heap)) and \(parts[1].typeName(in: heap))")
        }
        guard module.utf8.count <= Self.maximumGlobalNameLength, name.utf8.count <= Self.maximumGlobalNameLength else {
            throw malformed("STACK_GLOBAL module or name is longer than \(Self.maximumGlobalNameLength) bytes")
        }
        return try resolveGlobal(module: module, name: name, opcode: "STACK_GLOBAL")
    }

    /// INST (`module\nname\n`, then calls the class with the items above the mark): never run; refused naming the
    /// global when it is outside the allowlist, as an unsupported opcode otherwise (torch's `weights_only` unpickler
    /// has no INST either).
    private mutating func refuseInstance() throws {
        let (module, name) = try readGlobalName("INST")
        _ = try resolveGlobal(module: module, name: name, opcode: "INST")
        throw CheckpointError.unknownOpcode(path: path, location: location, opcode: 0x69)
    }

    private mutating func readGlobalName(_ opcode: String) throws -> (module: String, name: String) {
        let limit = Self.maximumGlobalNameLength
        let module = String(decoding: try reader.readLine(limit: limit, "\(opcode) module"), as: UTF8.self)
        let name = String(decoding: try reader.readLine(limit: limit, "\(opcode) name"), as: UTF8.self)
        return (module, name)
    }

    /// The allowlisted global `module.name`; anything else is refused by name before it could be looked up.
    private func resolveGlobal(module: String, name: String, opcode: String? = nil) throws -> PickleValue {
        if let global = TorchGlobal(module: module, name: name) {
            return .global(global)
        }
        let place = opcode.map { "\(source), \($0) opcode at byte \(opcodeOffset)" } ?? location
        if let reason = TorchGlobal.unsupportedReason(module: module, name: name) {
            throw CheckpointError.unsupportedFormat(path: path, detail: "\(module).\(name) (\(place)): \(reason)")
        }
        throw CheckpointError.forbiddenGlobal(path: path, location: place, global: "\(module).\(name)")
    }
}
