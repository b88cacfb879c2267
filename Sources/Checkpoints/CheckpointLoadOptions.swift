/// How ``Checkpoint/load(path:options:)`` treats checkpoints that are more than a bare state dict.
public struct CheckpointLoadOptions: Sendable {
    /// Accept a training checkpoint such as `{"epoch": 3, "state_dict": {...}}` when exactly one entry is a dict
    /// of tensors, and load that entry. Off by default: a wrapped file is then an error that names the entries.
    public var unwrap: Bool
    /// Load the dict stored under this top-level key (e.g. "state_dict", "model"); overrides `unwrap`.
    public var unwrapKey: String?
    /// Remove this prefix from keys and module names (e.g. "module." from an `nn.DataParallel` checkpoint).
    public var stripPrefix: String?
    /// Keep keys that all start with "module." as they are, instead of reporting them.
    public var keepPrefixedKeys: Bool
    /// Check each zip record's CRC-32 (as torch does); turn off only to inspect a damaged file.
    public var verifyChecksums: Bool

    /// Options for ``Checkpoint/load(path:options:)``; the defaults load only bare state dicts, strictly.
    public init(
        unwrap: Bool = false, unwrapKey: String? = nil, stripPrefix: String? = nil,
        keepPrefixedKeys: Bool = false, verifyChecksums: Bool = true
    ) {
        self.unwrap = unwrap
        self.unwrapKey = unwrapKey
        self.stripPrefix = stripPrefix
        self.keepPrefixedKeys = keepPrefixedKeys
        self.verifyChecksums = verifyChecksums
    }
}
