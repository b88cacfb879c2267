/// Emits protocol-2 pickle opcodes the way CPython's `pickle.Pickler` does for the objects `torch.save` writes:
/// strings, tuples and globals are memoized in order (BINPUT), a repeated object is fetched back (BINGET),
/// ints use the shortest of BININT1 / BININT2 / BININT / LONG1. Following CPython exactly keeps the output
/// byte-identical to torch's for the same state dict.
struct PickleWriter {
    private(set) var bytes: [UInt8] = [0x80, 0x02]
    private var memoCount = 0
    private var memoByName: [String: Int] = [:]

    mutating func mark() { bytes.append(0x28) }
    mutating func emptyTuple() { bytes.append(0x29) }
    mutating func emptyDict() {
        bytes.append(0x7D)
        memoize()
    }
    mutating func emptyList() {
        bytes.append(0x5D)
        memoize()
    }
    mutating func none() { bytes.append(0x4E) }
    mutating func bool(_ value: Bool) { bytes.append(value ? 0x88 : 0x89) }
    mutating func reduce() {
        bytes.append(0x52)
        memoize()
    }
    mutating func persistentID() { bytes.append(0x51) }
    mutating func build() { bytes.append(0x62) }
    mutating func stop() { bytes.append(0x2E) }

    /// SETITEM for one pair, MARK-less; use ``setItems(count:_:)`` to follow CPython's batching.
    mutating func setItem() { bytes.append(0x73) }

    /// Writes `count` key/value pairs the way `Pickler._batch_setitems` does: batches of 1000, each a
    /// MARK ... SETITEMS, or a lone SETITEM for a batch of one. `writePair(i)` writes pair `i`.
    mutating func setItems(count: Int, _ writePair: (inout PickleWriter, Int) -> Void) {
        for start in stride(from: 0, to: count, by: 1000) {
            let end = min(count, start + 1000)
            if end - start == 1 {
                writePair(&self, start)
                setItem()
                continue
            }
            mark()
            for index in start..<end {
                writePair(&self, index)
            }
            bytes.append(0x75)
        }
    }

    /// Writes `count` list items like `Pickler._batch_appends` (MARK ... APPENDS, or APPEND for one).
    mutating func appends(count: Int, _ writeItem: (inout PickleWriter, Int) -> Void) {
        for start in stride(from: 0, to: count, by: 1000) {
            let end = min(count, start + 1000)
            if end - start == 1 {
                writeItem(&self, start)
                bytes.append(0x61)
                continue
            }
            mark()
            for index in start..<end {
                writeItem(&self, index)
            }
            bytes.append(0x65)
        }
    }

    /// Closes a tuple of `count` items already written (after a ``mark()`` when `count > 3`) and memoizes it.
    mutating func tuple(count: Int) {
        switch count {
        case 0:
            emptyTuple()
            return
        case 1: bytes.append(0x85)
        case 2: bytes.append(0x86)
        case 3: bytes.append(0x87)
        default: bytes.append(0x74)
        }
        memoize()
    }

    /// A tuple of ints, e.g. a tensor's size or stride.
    mutating func intTuple(_ values: [Int]) {
        if values.count > 3 { mark() }
        for value in values { int(value) }
        tuple(count: values.count)
    }

    mutating func int(_ value: Int) {
        switch value {
        case 0...0xFF:
            bytes += [0x4B, UInt8(value)]
        case 0...0xFFFF:
            bytes.append(0x4D)
            bytes.appendLittleEndian(UInt16(value))
        case Int(Int32.min)...Int(Int32.max):
            bytes.append(0x4A)
            bytes.appendLittleEndian(Int32(value))
        default:
            bytes += [0x8A] + Self.longBytes(value)
        }
    }

    /// `pickle.encode_long`: minimal little-endian two's complement, count byte first.
    static func longBytes(_ value: Int) -> [UInt8] {
        var digits = withUnsafeBytes(of: Int64(value).littleEndian) { Array($0) }
        let fill: UInt8 = value < 0 ? 0xFF : 0x00
        while digits.count > 1, digits[digits.count - 1] == fill, (digits[digits.count - 2] & 0x80) == (fill & 0x80) {
            digits.removeLast()
        }
        return [UInt8(digits.count)] + digits
    }

    /// A new string object (BINUNICODE, memoized).
    mutating func string(_ text: String) {
        let utf8 = Array(text.utf8)
        bytes.append(0x58)
        bytes.appendLittleEndian(UInt32(utf8.count))
        bytes += utf8
        memoize()
    }

    /// A string CPython shares between uses (an interned literal such as `'storage'`): written once, then fetched.
    mutating func sharedString(_ text: String) {
        shared("str:" + text) { $0.string(text) }
    }

    /// A global (`GLOBAL 'module name'`), written once and then fetched from the memo, as `save_global` does.
    mutating func global(_ module: String, _ name: String) {
        shared("global:\(module).\(name)") { writer in
            writer.bytes.append(0x63)
            writer.bytes.append(module + "\n" + name + "\n")
            writer.memoize()
        }
    }

    private mutating func shared(_ identity: String, _ write: (inout PickleWriter) -> Void) {
        if let index = memoByName[identity] {
            get(index)
            return
        }
        write(&self)
        memoByName[identity] = memoCount - 1
    }

    private mutating func memoize() {
        if memoCount < 256 {
            bytes += [0x71, UInt8(memoCount)]
        } else {
            bytes.append(0x72)
            bytes.appendLittleEndian(UInt32(memoCount))
        }
        memoCount += 1
    }

    private mutating func get(_ index: Int) {
        if index < 256 {
            bytes += [0x68, UInt8(index)]
        } else {
            bytes.append(0x6A)
            bytes.appendLittleEndian(UInt32(index))
        }
    }
}
