/// The pickle `torch.save(state_dict)` writes, op for op (`torch/serialization.py: _save` and `_legacy_save`):
/// an OrderedDict built by REDUCE + SETITEMS whose values are `_rebuild_tensor_v2(storage, 0, size, stride,
/// False, OrderedDict())` with storage persistent id `('storage', torch.<Type>Storage, key, 'cpu', numel)`,
/// then a BUILD that sets `_metadata` when module versions are known.
struct TorchPickleEncoder {
    /// One tensor to pickle: its key, its storage key and its validated bytes.
    struct Item {
        var key: String
        var storageKey: String
        var tensor: CheckpointTensor
    }

    /// Legacy persistent ids carry a sixth element, the view metadata (always None when torch writes them).
    var legacy: Bool

    func encode(_ items: [Item], moduleVersions: [StateDict.ModuleVersion]) -> [UInt8] {
        var writer = PickleWriter()
        writer.global("collections", "OrderedDict")
        writer.emptyTuple()
        writer.reduce()
        writer.setItems(count: items.count) { writer, index in
            writer.string(items[index].key)
            tensor(items[index], into: &writer)
        }
        if !moduleVersions.isEmpty {
            writer.emptyDict()
            writer.string("_metadata")
            writer.global("collections", "OrderedDict")
            writer.emptyTuple()
            writer.reduce()
            writer.setItems(count: moduleVersions.count) { writer, index in
                writer.string(moduleVersions[index].module)
                writer.emptyDict()
                writer.sharedString("version")
                writer.int(moduleVersions[index].version)
                writer.setItem()
            }
            writer.setItem()
            writer.build()
        }
        writer.stop()
        return writer.bytes
    }

    private func tensor(_ item: Item, into writer: inout PickleWriter) {
        let shape = item.tensor.shape
        writer.global("torch._utils", "_rebuild_tensor_v2")
        writer.mark()
        writer.mark()
        writer.sharedString("storage")
        writer.global("torch", item.tensor.dtype.torchStorageClass)
        writer.string(item.storageKey)
        writer.sharedString("cpu")
        writer.int(item.tensor.values.count)
        if legacy {
            writer.none()
        }
        writer.tuple(count: legacy ? 6 : 5)
        writer.persistentID()
        writer.int(0)
        writer.intTuple(shape)
        writer.intTuple(StridedLayout.contiguousStrides(shape))
        writer.bool(false)
        writer.global("collections", "OrderedDict")
        writer.emptyTuple()
        writer.reduce()
        writer.tuple(count: 6)
        writer.reduce()
    }
}
