import Checkpoints
import NN
import Tensors

extension Module {
    /// Loads a checkpoint file - `.pth`/`.pt` written by `torch.save` (zip or legacy) or safetensors, recognised by
    /// its bytes - into this model (`model.load_state_dict(torch.load(path, weights_only=True))`).
    ///
    /// Float16, bfloat16 and float64 values become float32. Batch norms saved before PyTorch tracked
    /// `num_batches_tracked` (module version < 2, or no version recorded) keep their current count, as PyTorch's
    /// `_BatchNorm._load_from_state_dict` does (0 for a new model). Nothing the file
    /// names is executed: unknown pickle globals are refused by name.
    /// - Parameters:
    ///   - strict: missing or unexpected keys are an error.
    ///   - skipMismatchedShapes: keep this model's tensor where the file's has another shape (a new head) and
    ///     report it, instead of failing.
    ///   - options: how to unwrap `{"state_dict": ...}` or strip a `module.` prefix.
    @discardableResult
    public func loadCheckpoint(
        path: String, strict: Bool = true, skipMismatchedShapes: Bool = false,
        options: CheckpointLoadOptions = .init()
    ) throws -> StateDictLoadResult {
        let file = try Checkpoint.load(path: path, options: options)
        var entries = file.entries.map { (key: $0.key, value: Tensor(checkpoint: $0.tensor)) }
        let present = Set(file.keys)
        for (name, module) in namedModules() {
            guard let norm = module as? BatchNorm2d, let count = norm.buffer("num_batches_tracked") else { continue }
            let key = name.isEmpty ? "num_batches_tracked" : "\(name).num_batches_tracked"
            let runningMean = name.isEmpty ? "running_mean" : "\(name).running_mean"
            if !present.contains(key), present.contains(runningMean), (file.version(ofModule: name) ?? 1) < 2 {
                entries.append((key: key, value: count.copy()))
            }
        }
        return try loadStateDict(entries, strict: strict, skipMismatchedShapes: skipMismatchedShapes)
    }

    /// Saves ``stateDict()`` as a checkpoint that `torch.load(path, weights_only=True)` and
    /// `load_state_dict` accept: torch's zip format for `.pth`/`.pt`, safetensors for `.safetensors`
    /// (`format` overrides the extension). Integer buffers (`num_batches_tracked`) are stored as int64.
    public func saveCheckpoint(path: String, format: CheckpointFormat? = nil) throws {
        try Checkpoint.save(checkpointStateDict(), to: path, format: format)
    }

    /// ``stateDict()`` in the checkpoint module's terms, with each buffer's saved dtype.
    public func checkpointStateDict() -> StateDict {
        let dtypes = bufferDTypes()
        return StateDict(
            stateDict().map { key, tensor in
                let values = tensor.toArray()
                let entry =
                    dtypes[key] == .int64
                    ? CheckpointTensor(shape: tensor.shape, integers: values.map { Int64($0) })
                    : CheckpointTensor(shape: tensor.shape, floats: values)
                return StateDict.Entry(key: key, tensor: entry)
            })
    }
}

extension Tensor {
    /// A float32 tensor holding a checkpoint tensor's values (integers converted).
    public convenience init(checkpoint: CheckpointTensor) {
        switch checkpoint.values {
        case .float(let values): self.init(shape: checkpoint.shape, values: values)
        case .integer(let values): self.init(shape: checkpoint.shape, values: values.map { Float($0) })
        }
    }
}
