import Tensors

/// What ``Module/loadStateDict(_:strict:)`` found: keys the model has that the state dict lacks, keys the state dict
/// has that the model lacks, and shape disagreements (`torch.nn.modules.module._IncompatibleKeys` plus the size
/// mismatch messages).
public struct StateDictLoadResult: Equatable, Sendable {
    public struct SizeMismatch: Equatable, Sendable {
        public let key: String
        public let checkpointShape: [Int]
        public let modelShape: [Int]
    }

    public var missingKeys: [String] = []
    public var unexpectedKeys: [String] = []
    public var sizeMismatches: [SizeMismatch] = []

    public var isClean: Bool { missingKeys.isEmpty && unexpectedKeys.isEmpty && sizeMismatches.isEmpty }
}

/// A failed ``Module/loadStateDict(_:strict:)``, reporting every problem at once as PyTorch's
/// `Error(s) in loading state_dict for ResNet: ...` does. Nothing was copied into the model.
public struct StateDictError: Error, CustomStringConvertible {
    public let moduleName: String
    public let result: StateDictLoadResult
    public let strict: Bool

    public var description: String {
        var lines = ["Error(s) in loading state_dict for \(moduleName):"]
        let quote = { (keys: [String]) in keys.map { "\"\($0)\"" }.joined(separator: ", ") }
        if strict && !result.missingKeys.isEmpty {
            lines.append("\tMissing key(s) in state_dict: \(quote(result.missingKeys)).")
        }
        if strict && !result.unexpectedKeys.isEmpty {
            lines.append("\tUnexpected key(s) in state_dict: \(quote(result.unexpectedKeys)).")
        }
        for m in result.sizeMismatches {
            lines.append(
                "\tsize mismatch for \(m.key): copying a param with shape \(m.checkpointShape) from checkpoint, "
                    + "the shape in current model is \(m.modelShape).")
        }
        return lines.joined(separator: "\n")
    }
}

extension Module {
    /// Every parameter and buffer by state-dict key, in PyTorch's order: each module's parameters, then its
    /// buffers, then its children's entries (`state_dict()`). The tensors are the module's own (not copies).
    public func stateDict(prefix: String = "") -> [(key: String, value: Tensor)] {
        allNamedModules(prefix: prefix).flatMap { path, module in
            (module.ownParameters(path: path) + module.ownBuffers(path: path)).map { (key: $0.0, value: $0.1) }
        }
    }

    /// Copies `stateDict`'s values into this model's parameters and buffers in place (`load_state_dict`).
    ///
    /// With `strict` any missing or unexpected key is an error; a shape mismatch is an error too, as in PyTorch,
    /// unless `skipMismatchedShapes` asks to keep the model's own tensor for those keys - the transfer-learning
    /// case "load every backbone weight, keep the new head" - and report them in the result instead. On error
    /// nothing is copied and the thrown ``StateDictError`` lists every problem.
    /// - Returns: the missing and unexpected keys, and the skipped size mismatches.
    @discardableResult
    public func loadStateDict(
        _ stateDict: [(key: String, value: Tensor)], strict: Bool = true,
        skipMismatchedShapes: Bool = false
    ) throws -> StateDictLoadResult {
        let own = self.stateDict()
        let ownByKey = Dictionary(own.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        let incomingKeys = Set(stateDict.map(\.key))
        var result = StateDictLoadResult()
        result.missingKeys = own.map(\.key).filter { !incomingKeys.contains($0) }
        for (key, value) in stateDict {
            guard let target = ownByKey[key] else {
                result.unexpectedKeys.append(key)
                continue
            }
            if target.shape != value.shape {
                result.sizeMismatches.append(.init(key: key, checkpointShape: value.shape, modelShape: target.shape))
            }
        }
        let shapesBlock = !skipMismatchedShapes && !result.sizeMismatches.isEmpty
        let keysBlock = strict && !(result.missingKeys.isEmpty && result.unexpectedKeys.isEmpty)
        if shapesBlock || keysBlock {
            throw StateDictError(moduleName: typeName, result: result, strict: strict)
        }
        for (key, value) in stateDict {
            if let target = ownByKey[key], target.shape == value.shape { target.assign(value) }
        }
        return result
    }
}
