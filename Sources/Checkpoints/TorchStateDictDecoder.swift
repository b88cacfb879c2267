/// Turns the object a torch checkpoint unpickles to into a ``StateDict``: finds the mapping of names to tensors
/// (unwrapping `{"state_dict": ...}` only when asked), materialises each tensor and reads `_metadata`.
struct TorchStateDictDecoder {
    let path: String
    let heap: PickleHeap
    var storages: TorchStorageTable
    let options: CheckpointLoadOptions

    /// The state dict inside `root`.
    mutating func decode(_ root: PickleValue) throws -> StateDict {
        guard case let .dict(rootIndex) = root else {
            throw CheckpointError.notAStateDict(
                path: path, detail: "the file holds a \(root.typeName(in: heap)), not a dict")
        }
        let target = try stateDictIndex(in: rootIndex)
        var result = StateDict()
        for (key, value) in heap.dicts[target].entries {
            let name = try stringKey(key)
            guard case let .tensor(reference) = value else {
                throw CheckpointError.notAStateDict(
                    path: path, detail: "entry '\(name)' holds a \(value.typeName(in: heap)), not a tensor")
            }
            result[name] = try storages.tensor(reference, key: name)
        }
        result.moduleVersions = moduleVersions(of: target)
        return result
    }

    /// The dict that maps names to tensors: `root` itself, or the entry chosen by the unwrap options.
    private func stateDictIndex(in root: Int) throws -> Int {
        let entries = heap.dicts[root].entries
        if let wanted = options.unwrapKey {
            guard let value = heap.dicts[root].value(forKey: wanted), case let .dict(inner) = value else {
                let keys = entries.compactMap { key, _ in stringValue(key) }
                throw CheckpointError.notAStateDict(
                    path: path,
                    detail: "no dict under '\(wanted)' to unwrap; top-level keys: \(keys.joined(separator: ", "))")
            }
            return inner
        }
        guard let offender = entries.first(where: { !isTensor($0.value) }) else {
            return root
        }
        let candidates = entries.compactMap { key, value -> String? in
            guard let name = stringValue(key), isTensorDict(value) else { return nil }
            return name
        }
        guard !candidates.isEmpty else {
            let name = stringValue(offender.key) ?? offender.key.typeName(in: heap)
            throw CheckpointError.notAStateDict(
                path: path, detail: "entry '\(name)' holds a \(offender.value.typeName(in: heap)), not a tensor")
        }
        if options.unwrap, candidates.count == 1, let value = heap.dicts[root].value(forKey: candidates[0]),
            case let .dict(inner) = value
        {
            return inner
        }
        let others = entries.compactMap { key, _ in stringValue(key) }.filter { !candidates.contains($0) }
        throw CheckpointError.wrappedStateDict(path: path, candidates: candidates, otherKeys: others)
    }

    /// `_metadata[prefix]["version"]` for every prefix that records an int version.
    private func moduleVersions(of index: Int) -> [StateDict.ModuleVersion] {
        guard let metadata = heap.dicts[index].attributes["_metadata"], case let .dict(table) = metadata else {
            return []
        }
        return heap.dicts[table].entries.compactMap { key, value in
            guard let module = stringValue(key), case let .dict(local) = value,
                case let .int(version)? = heap.dicts[local].value(forKey: "version")
            else { return nil }
            return StateDict.ModuleVersion(module: module, version: version)
        }
    }

    private func stringKey(_ key: PickleValue) throws -> String {
        guard let name = stringValue(key) else {
            throw CheckpointError.notAStateDict(path: path, detail: "a key is a \(key.typeName(in: heap)), not a str")
        }
        return name
    }

    private func stringValue(_ value: PickleValue) -> String? {
        if case let .string(text) = value { return text }
        return nil
    }

    private func isTensor(_ value: PickleValue) -> Bool {
        if case .tensor = value { return true }
        return false
    }

    private func isTensorDict(_ value: PickleValue) -> Bool {
        guard case let .dict(index) = value else { return false }
        let entries = heap.dicts[index].entries
        return !entries.isEmpty && entries.allSatisfy { stringValue($0.key) != nil && isTensor($0.value) }
    }
}
