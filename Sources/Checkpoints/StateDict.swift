/// A model's named tensors in order, as `module.state_dict()` returns them, plus the metadata saved with them.
///
/// Keys keep the order of the file (for safetensors: the order of the JSON header). Assigning to an existing
/// key replaces its tensor in place; assigning to a new key appends it.
public struct StateDict: Equatable, Sendable {
    /// One named tensor.
    public struct Entry: Equatable, Sendable {
        /// The name, e.g. `layer1.0.bn1.running_mean`.
        public var key: String
        /// The values and their shape.
        public var tensor: CheckpointTensor

        /// The entry `key` -> `tensor`.
        public init(key: String, tensor: CheckpointTensor) {
            self.key = key
            self.tensor = tensor
        }
    }

    /// The version torch records for one submodule in the state dict's `_metadata` attribute
    /// (`module._version`: 2 for BatchNorm, 1 for most others; the root module's prefix is `""`).
    public struct ModuleVersion: Equatable, Sendable {
        /// The submodule's prefix in the keys (`"layer1.0.bn1"`; `""` for the root module).
        public var module: String
        /// Its `_version` when it was saved.
        public var version: Int

        /// The version `version` of the submodule at `module`.
        public init(module: String, version: Int) {
            self.module = module
            self.version = version
        }
    }

    /// The tensors in order.
    public private(set) var entries: [Entry] = []
    /// Per-module versions from torch's `_metadata` (empty for safetensors and plain dicts), in file order.
    public var moduleVersions: [ModuleVersion] = []
    /// safetensors `__metadata__` (free-form strings, e.g. `format: pt`); empty for torch files.
    public var metadata: [String: String] = [:]

    private var positions: [String: Int] = [:]

    /// An empty state dict.
    public init() {}

    /// A state dict of `entries` in order; a repeated key keeps its first position and its last tensor.
    public init(_ entries: [Entry], moduleVersions: [ModuleVersion] = [], metadata: [String: String] = [:]) {
        for entry in entries {
            self[entry.key] = entry.tensor
        }
        self.moduleVersions = moduleVersions
        self.metadata = metadata
    }

    /// The keys in order.
    public var keys: [String] {
        entries.map(\.key)
    }

    /// The number of tensors.
    public var count: Int {
        entries.count
    }

    /// The tensor stored under `key`; setting nil removes it.
    public subscript(key: String) -> CheckpointTensor? {
        get {
            positions[key].map { entries[$0].tensor }
        }
        set {
            if let position = positions[key] {
                if let tensor = newValue {
                    entries[position].tensor = tensor
                } else {
                    entries.remove(at: position)
                    rebuildPositions()
                }
            } else if let tensor = newValue {
                positions[key] = entries.count
                entries.append(Entry(key: key, tensor: tensor))
            }
        }
    }

    /// The version recorded for the submodule at `module` (`"layer1.0.bn1"`), or nil when none was saved.
    public func version(ofModule module: String) -> Int? {
        moduleVersions.first { $0.module == module }?.version
    }

    /// A copy without `prefix` at the start of keys and module names, as
    /// `torch.nn.modules.utils.consume_prefix_in_state_dict_if_present` does; other keys are unchanged.
    /// The wrapped model's own entry (`module`) replaces the wrapper's root entry (`""`).
    public func removingPrefix(_ prefix: String) -> StateDict {
        var result = StateDict()
        for entry in entries {
            result[entry.key.hasPrefix(prefix) ? String(entry.key.dropFirst(prefix.count)) : entry.key] = entry.tensor
        }
        let bareModule = prefix.hasSuffix(".") ? String(prefix.dropLast()) : prefix
        for item in moduleVersions {
            var renamed = item
            if item.module == bareModule {
                renamed.module = ""
            } else if item.module.hasPrefix(prefix) {
                renamed.module = String(item.module.dropFirst(prefix.count))
            }
            if let existing = result.moduleVersions.firstIndex(where: { $0.module == renamed.module }) {
                result.moduleVersions[existing].version = renamed.version
            } else {
                result.moduleVersions.append(renamed)
            }
        }
        result.metadata = metadata
        return result
    }

    /// The prefix every key starts with when all of them start with `module.` (DataParallel), else nil.
    var dataParallelPrefix: String? {
        let prefix = "module."
        return !entries.isEmpty && entries.allSatisfy({ $0.key.hasPrefix(prefix) }) ? prefix : nil
    }

    private mutating func rebuildPositions() {
        positions = [:]
        for (position, entry) in entries.enumerated() {
            positions[entry.key] = position
        }
    }

    /// Same entries in the same order, same module versions, same metadata.
    public static func == (lhs: StateDict, rhs: StateDict) -> Bool {
        lhs.entries == rhs.entries && lhs.moduleVersions == rhs.moduleVersions && lhs.metadata == rhs.metadata
    }
}
