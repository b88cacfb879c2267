/// The globals a state-dict pickle may name: the allowlist of this restricted unpickler.
///
/// This is a subset of `torch._weights_only_unpickler._get_allowed_globals` (what `torch.load(weights_only=True)`
/// accepts). A global is only ever matched by name; the unpickler then builds the value itself
/// (see `Unpickler.call`), so nothing named by a file is imported, looked up or executed.
enum TorchGlobal: Equatable {
    /// `collections.OrderedDict`: a state dict, its `_metadata`, and the (empty) backward-hooks argument.
    case orderedDict
    /// `torch._utils._rebuild_tensor(storage, storage_offset, size, stride)` (torch 0.4).
    case rebuildTensor
    /// `torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, hooks[, metadata])`.
    case rebuildTensorV2
    /// `torch._utils._rebuild_parameter(data, requires_grad, hooks)`: an `nn.Parameter` (its data is kept).
    case rebuildParameter
    /// `torch._utils._rebuild_parameter_with_state(data, requires_grad, hooks, state)`.
    case rebuildParameterWithState
    /// `torch.FloatStorage`, `torch.HalfStorage`, ...: the storage class inside a persistent id.
    case storageClass(CheckpointDType)
    /// `_codecs.encode(text, "latin1")`: how protocol 2 pickles a `bytes` object.
    case codecsEncode
    /// `torch.Size((2, 3))`, built as the tuple it wraps.
    case size
    /// `torch.device("cuda", 0)`, built as the string `"cuda:0"`.
    case device
    /// A dtype such as `torch.float16`, kept as its name (training checkpoints store them in their options).
    case dtype(String)

    /// The names of the dtypes `torch` pickles as `GLOBAL torch <name>`.
    private static let dtypeNames: Set<String> = [
        "float32", "float", "float64", "double", "float16", "half", "bfloat16", "int64", "long", "int32", "int",
        "int16", "short", "int8", "uint8", "bool", "complex64", "cfloat", "complex128", "cdouble", "uint16", "uint32",
        "uint64",
    ]

    /// The allowed global for `module.name`, or nil.
    init?(module: String, name: String) {
        switch (module, name) {
        case ("collections", "OrderedDict"): self = .orderedDict
        case ("torch._utils", "_rebuild_tensor"): self = .rebuildTensor
        case ("torch._utils", "_rebuild_tensor_v2"): self = .rebuildTensorV2
        case ("torch._utils", "_rebuild_parameter"): self = .rebuildParameter
        case ("torch._utils", "_rebuild_parameter_with_state"): self = .rebuildParameterWithState
        case ("_codecs", "encode"): self = .codecsEncode
        case ("torch", "Size"): self = .size
        case ("torch", "device"): self = .device
        case ("torch", _) where Self.dtypeNames.contains(name): self = .dtype(name)
        case ("torch", _):
            guard let dtype = CheckpointDType(torchStorageClass: name) else { return nil }
            self = .storageClass(dtype)
        default: return nil
        }
    }

    /// Why a global that torch itself allows is still refused here, or nil when torch would refuse it too.
    static func unsupportedReason(module: String, name: String) -> String? {
        switch (module, name) {
        case ("torch._utils", "_rebuild_tensor_v3"), ("torch", "UntypedStorage"):
            return "tensors of the dtypes torch saves as untyped storages (uint16/32/64, float8, complex32) "
                + "are not supported"
        case ("torch._utils", "_rebuild_qtensor"): return "quantized tensors are not supported"
        case ("torch._utils", "_rebuild_sparse_tensor"), ("torch.serialization", "_get_layout"):
            return "sparse tensors are not supported"
        case ("torch._utils", _), ("torch._tensor", _):
            return "tensor subclasses and device-specific rebuilds are not supported"
        case ("torch", _) where name.hasSuffix("Storage"):
            return "storage class torch.\(name) holds an element type this reader does not convert"
        default: return nil
        }
    }

    /// `module.name` as Python spells it.
    var qualifiedName: String {
        switch self {
        case .orderedDict: return "collections.OrderedDict"
        case .rebuildTensor: return "torch._utils._rebuild_tensor"
        case .rebuildTensorV2: return "torch._utils._rebuild_tensor_v2"
        case .rebuildParameter: return "torch._utils._rebuild_parameter"
        case .rebuildParameterWithState: return "torch._utils._rebuild_parameter_with_state"
        case let .storageClass(dtype): return "torch.\(dtype.torchStorageClass)"
        case .codecsEncode: return "_codecs.encode"
        case .size: return "torch.Size"
        case .device: return "torch.device"
        case let .dtype(name): return "torch.\(name)"
        }
    }
}
