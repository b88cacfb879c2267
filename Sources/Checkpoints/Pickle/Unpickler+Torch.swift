/// What REDUCE, BUILD and BINPERSID mean for the allowlisted torch globals. Each "call" is a pure construction
/// of a ``PickleValue`` from its arguments, following the functions in `torch/_utils.py`.
extension Unpickler {
    /// REDUCE: `callable(*arguments)` for an allowlisted global.
    mutating func call(_ callable: PickleValue, _ arguments: PickleValue) throws -> PickleValue {
        guard case let .global(global) = callable else {
            throw malformed("REDUCE on a \(callable.typeName(in: heap)), which is not an allowed callable")
        }
        guard case let .tuple(arguments) = arguments else {
            throw malformed(
                "REDUCE arguments for \(global.qualifiedName) are a \(arguments.typeName(in: heap)), not a tuple")
        }
        switch global {
        case .orderedDict:
            return try orderedDict(arguments)
        case .rebuildTensor:
            guard arguments.count == 4 else { throw argumentCount(global, arguments.count, "4") }
            return try tensor(arguments, metadata: nil)
        case .rebuildTensorV2:
            guard arguments.count == 6 || arguments.count == 7 else {
                throw argumentCount(global, arguments.count, "6 or 7")
            }
            return try tensor(arguments, metadata: arguments.count == 7 ? arguments[6] : nil)
        case .rebuildParameter, .rebuildParameterWithState:
            let expected = global == .rebuildParameter ? 3 : 4
            guard arguments.count == expected else { throw argumentCount(global, arguments.count, "\(expected)") }
            guard case .tensor = arguments[0] else {
                throw malformed("\(global.qualifiedName) data is a \(arguments[0].typeName(in: heap)), not a tensor")
            }
            return arguments[0]
        case .codecsEncode:
            return try encodedBytes(arguments)
        case .size:
            guard arguments.count == 1, case .tuple = arguments[0] else { throw malformed("torch.Size takes a tuple") }
            return arguments[0]
        case .device:
            return try device(arguments)
        case .storageClass, .dtype:
            throw malformed("\(global.qualifiedName) cannot be called")
        }
    }

    /// BUILD: `inst.__dict__.update(state)` on an OrderedDict, which is how a state dict receives `_metadata`.
    mutating func build(state: PickleValue, on instance: PickleValue) throws {
        guard case let .dict(target) = instance, heap.dicts[target].isOrdered else {
            throw malformed("BUILD on a \(instance.typeName(in: heap)); only an OrderedDict's attributes can be set")
        }
        if case .null = state {
            return
        }
        guard case let .dict(source) = state else {
            throw malformed("BUILD state is a \(state.typeName(in: heap)), not a dict")
        }
        for (key, value) in heap.dicts[source].entries {
            guard case let .string(name) = key else {
                throw malformed("BUILD attribute name is a \(key.typeName(in: heap)), not a str")
            }
            heap.dicts[target].attributes[name] = value
        }
    }

    /// BINPERSID: `('storage', <storage class>, key, location, numel)`, with a sixth view element in the legacy
    /// format (`None`, or `(view_key, offset, numel)` for a view into another storage).
    mutating func persistentLoad(_ identifier: PickleValue) throws -> PickleValue {
        guard case let .tuple(fields) = identifier, let kind = fields.first else {
            throw malformed("persistent id is a \(identifier.typeName(in: heap)); expected a tuple ('storage', ...)")
        }
        guard case .string("storage") = kind else {
            if case .string("module") = kind {
                throw malformed("the checkpoint pickles a whole nn.Module (torch.save(model)); save model.state_dict()")
            }
            throw malformed("persistent id of kind \(kind.typeName(in: heap)) is not a storage")
        }
        guard fields.count == 5 || fields.count == 6 else {
            throw malformed("a storage persistent id has 5 fields (6 in the legacy format), not \(fields.count)")
        }
        guard case let .global(.storageClass(dtype)) = fields[1] else {
            throw malformed("persistent id names a \(fields[1].typeName(in: heap)) instead of a storage class")
        }
        guard case let .string(key) = fields[2], case .string = fields[3], case let .int(count) = fields[4],
            count >= 0
        else {
            throw malformed("persistent id fields must be (str key, str location, int numel >= 0)")
        }
        guard isRecordName(key) else {
            throw malformed(
                "storage key '\(key.debugDescription.dropFirst().dropLast())' is not a record name inside the archive "
                    + "(torch.save writes plain names such as '0'); nothing outside the file is ever read")
        }
        let root = StorageReference(key: key, dtype: dtype, elementCount: count)
        try registerStorage(root)
        guard fields.count == 6, case let .tuple(view) = fields[5] else {
            return .storage(root)
        }
        guard view.count == 3, case .string = view[0], case let .int(offset) = view[1], case let .int(length) = view[2],
            offset >= 0, length >= 0, offset <= count, length <= count - offset
        else {
            throw malformed("storage view of '\(key)' must be (str, offset, numel) inside its \(count) elements")
        }
        return .storage(StorageReference(key: key, dtype: dtype, elementCount: length, elementOffset: offset))
    }

    // MARK: Helpers

    /// A storage key names a record inside the archive (`<top>/data/<key>`): not empty, no path separator, no NUL,
    /// not `.` or `..`.
    private func isRecordName(_ key: String) -> Bool {
        !key.isEmpty && key != "." && key != ".." && !key.contains(where: { $0 == "/" || $0 == "\\" || $0 == "\0" })
    }

    private func argumentCount(_ global: TorchGlobal, _ count: Int, _ expected: String) -> CheckpointError {
        malformed("\(global.qualifiedName) called with \(count) arguments, expected \(expected)")
    }

    private mutating func orderedDict(_ arguments: [PickleValue]) throws -> PickleValue {
        let result = heap.newDict(ordered: true)
        guard case let .dict(index) = result else { return result }
        if arguments.isEmpty {
            return result
        }
        guard arguments.count == 1, case let .list(items) = arguments[0] else {
            throw malformed("OrderedDict() takes nothing or one list of pairs")
        }
        for item in heap.lists[items] {
            guard case let .tuple(pair) = item, pair.count == 2 else {
                throw malformed("OrderedDict item is not a pair")
            }
            heap.dicts[index].set(pair[0], pair[1])
        }
        return result
    }

    /// `_rebuild_tensor(_v2)`: storage, storage_offset, size, stride[, requires_grad, hooks[, metadata]].
    private func tensor(_ arguments: [PickleValue], metadata: PickleValue?) throws -> PickleValue {
        guard case let .storage(storage) = arguments[0] else {
            throw malformed("tensor storage is a \(arguments[0].typeName(in: heap)), not a storage")
        }
        guard case let .int(offset) = arguments[1], offset >= 0 else {
            throw malformed("tensor storage_offset must be an int >= 0")
        }
        let shape = try integers(arguments[2], "size")
        let strides = try integers(arguments[3], "stride")
        guard shape.count == strides.count else {
            throw malformed("tensor size has \(shape.count) dimensions but stride has \(strides.count)")
        }
        let layout = StridedLayout(shape: shape, strides: strides, offset: offset)
        return .tensor(TensorReference(storage: storage, layout: layout, negated: try isNegated(metadata)))
    }

    private func integers(_ value: PickleValue, _ what: String) throws -> [Int] {
        guard case let .tuple(items) = value else {
            throw malformed("tensor \(what) is a \(value.typeName(in: heap)), not a tuple")
        }
        return try items.map { item in
            guard case let .int(number) = item, number >= 0 else {
                throw malformed("tensor \(what) holds \(item.typeName(in: heap)) values; expected ints >= 0")
            }
            return number
        }
    }

    /// torch's tensor metadata (`torch._C._get_tensor_metadata`): `{'neg': True}` marks a negated view;
    /// `conj` is meaningless for real tensors.
    private func isNegated(_ metadata: PickleValue?) throws -> Bool {
        let index: Int
        switch metadata {
        case nil, .null?: return false
        case let .dict(dictionary)?: index = dictionary
        default: throw malformed("tensor metadata is not a dict")
        }
        var negated = false
        for (key, value) in heap.dicts[index].entries {
            guard case let .string(name) = key, name == "neg" || name == "conj", case let .bool(flag) = value else {
                throw malformed("tensor metadata may only hold the flags 'neg' and 'conj'")
            }
            if name == "neg" { negated = flag }
        }
        return negated
    }

    /// `torch.device("cpu")`, `torch.device("cuda", 1)` or `torch.device("cuda:1")` as its string form.
    private func device(_ arguments: [PickleValue]) throws -> PickleValue {
        switch (arguments.first, arguments.dropFirst().first, arguments.count) {
        case let (.string(kind)?, nil, 1): return .string(kind)
        case let (.string(kind)?, .int(index)?, 2): return .string("\(kind):\(index)")
        default: throw malformed("torch.device takes a type string and an optional index")
        }
    }

    private func encodedBytes(_ arguments: [PickleValue]) throws -> PickleValue {
        guard arguments.count == 2, case let .string(text) = arguments[0], case let .string(encoding) = arguments[1],
            encoding == "latin1" || encoding == "latin-1"
        else {
            throw malformed("_codecs.encode is only accepted as encode(str, 'latin1')")
        }
        let scalars = text.unicodeScalars
        guard scalars.allSatisfy({ $0.value <= 0xFF }) else { throw malformed("latin1 text holds a code point > 0xFF") }
        return .bytes(scalars.map { UInt8($0.value) })
    }
}
