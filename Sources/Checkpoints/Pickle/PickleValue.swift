/// A value the restricted unpickler can build. There is no case for "arbitrary object": anything the pickle
/// asks for outside this list is refused while reading.
///
/// Lists and dicts are mutable and shared (the pickle memo holds references to them), so they live in a
/// ``PickleHeap`` and the value holds their index: no reference cycles, no recursion over shared structure.
enum PickleValue {
    /// Python's `None`.
    case null
    case bool(Bool)
    case int(Int)
    /// An integer too large for `Int`: little-endian two's complement bytes, as pickle's LONG1 stores it.
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleValue])
    case list(Int)
    case dict(Int)
    /// An allowlisted global (a function or class the unpickler knows how to "call" without calling anything).
    case global(TorchGlobal)
    /// A storage produced by a persistent id, not yet tied to any bytes.
    case storage(StorageReference)
    /// A tensor view of a storage (`_rebuild_tensor_v2`), materialised after the pickle has been read.
    case tensor(TensorReference)

    /// A short type name for error messages ("str", "OrderedDict", "tensor" ...).
    func typeName(in heap: PickleHeap) -> String {
        switch self {
        case .null: return "None"
        case .bool: return "bool"
        case .int, .bigInt: return "int"
        case .float: return "float"
        case .string: return "str"
        case .bytes: return "bytes"
        case .tuple: return "tuple"
        case .list: return "list"
        case let .dict(index): return heap.dicts[index].isOrdered ? "OrderedDict" : "dict"
        case let .global(global): return "global \(global.qualifiedName)"
        case .storage: return "storage"
        case .tensor: return "tensor"
        }
    }
}

/// A storage named by a persistent id `('storage', <class>, key, location, numel)`.
struct StorageReference {
    var key: String
    var dtype: CheckpointDType
    var elementCount: Int
    /// Legacy-format views into another storage start this many elements into it.
    var elementOffset: Int = 0
}

/// A strided view of a storage, the arguments of `torch._utils._rebuild_tensor_v2`.
struct TensorReference {
    var storage: StorageReference
    var layout: StridedLayout
    /// The tensor carries torch's negative bit (`metadata={'neg': True}`): its values are negated.
    var negated: Bool
}

/// A dict or OrderedDict: entries in insertion order; string keys are indexed so reassignment replaces.
struct PickleDict {
    var isOrdered: Bool
    var entries: [(key: PickleValue, value: PickleValue)] = []
    /// Attributes set by BUILD (`OrderedDict.__dict__`, where a state dict keeps `_metadata`).
    var attributes: [String: PickleValue] = [:]
    private var stringKeys: [String: Int] = [:]

    init(isOrdered: Bool) {
        self.isOrdered = isOrdered
    }

    mutating func set(_ key: PickleValue, _ value: PickleValue) {
        if case let .string(name) = key {
            if let position = stringKeys[name] {
                entries[position].value = value
                return
            }
            stringKeys[name] = entries.count
        }
        entries.append((key, value))
    }

    func value(forKey name: String) -> PickleValue? {
        stringKeys[name].map { entries[$0].value }
    }
}

/// Storage for the mutable containers a pickle builds.
struct PickleHeap {
    var lists: [[PickleValue]] = []
    var dicts: [PickleDict] = []

    mutating func newList(_ items: [PickleValue] = []) -> PickleValue {
        lists.append(items)
        return .list(lists.count - 1)
    }

    mutating func newDict(ordered: Bool) -> PickleValue {
        dicts.append(PickleDict(isOrdered: ordered))
        return .dict(dicts.count - 1)
    }
}
